/**
 * The code under test in the msw example: the same API client, written the
 * Node way, on `node:https` (as axios and most Node SDKs are).
 *
 * @module
 */

import https from "node:https";

/** A client for `https://api.example.com`, on `node:https`. */
export class NodeApiClient {
  readonly #base: string;

  /** @param base The API's base URL. */
  constructor(base = "https://api.example.com") {
    this.#base = base;
  }

  /** GETs `/data` and returns the parsed JSON. */
  getData(): Promise<{ result: string }> {
    return new Promise((resolve, reject) => {
      https.get(`${this.#base}/data`, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => body += chunk);
        response.on("end", () => {
          if (response.statusCode !== 200) {
            reject(new Error(`GET /data failed: HTTP ${response.statusCode}`));
          } else {
            resolve(JSON.parse(body));
          }
        });
      }).on("error", reject);
    });
  }
}
