import { integration } from "../../../mod.ts";

integration("saves a record", () => {});
integration("loads a record", () => {});
Deno.test("parses a date", () => {});
Deno.test("formats money", () => {});
