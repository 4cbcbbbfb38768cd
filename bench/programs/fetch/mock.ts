// `deno run` script of bench/sections/fetch.ts: the fetch mock on msw. Its
// first install in the process (loads msw), install + dispose, a mocked fetch
// and node:https request, and a fetch through a hand-written
// `globalThis.fetch` stub; prints them as JSON (ms for the first two, us per
// request for the others).
import https from "node:https";
import { fetchMock } from "../../../mod.ts";

const url = "https://api.example.com/data";
const N = 1000;
let s = performance.now();
{
  await using _api = await fetchMock();
}
const load = performance.now() - s;
s = performance.now();
for (let i = 0; i < 100; i++) {
  await using _api = await fetchMock();
}
const install = (performance.now() - s) / 100;

/** @returns The time of one `get`, in us, after 50 for warm-up. */
async function perRequest(get: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await get();
  const s = performance.now();
  for (let i = 0; i < N; i++) await get();
  return (performance.now() - s) / N * 1000;
}
const viaFetch = async () => await (await fetch(url)).text();
const viaHttps = () =>
  new Promise<void>((resolve, reject) => {
    https.get(url, (r) => {
      r.resume();
      r.on("end", resolve);
    }).on("error", reject);
  });
let mocked: number;
let mockedHttps: number;
{
  await using api = await fetchMock();
  api.add("GET", url, { json: { ok: 1 } });
  mocked = await perRequest(viaFetch);
  mockedHttps = await perRequest(viaHttps);
}
const original = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const request = new Request(input, init);
  if (request.method === "GET" && request.url === url) {
    return Promise.resolve(Response.json({ ok: 1 }));
  }
  return Promise.reject(new TypeError("no route"));
};
const stub = await perRequest(viaFetch);
globalThis.fetch = original;
console.log(JSON.stringify({ load, install, mocked, mockedHttps, stub }));
