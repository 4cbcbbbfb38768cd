import { integration } from "../../../mod.ts";

for (let i = 1; i <= 20; i++) integration(`case ${i}`, () => {});
Deno.test("plain test", () => {});
