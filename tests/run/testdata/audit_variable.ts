// A test that reads a variable it does not declare: with its declared
// permissions (none) it fails with NotCapable; with the process's, it passes.
// permissions_audit_test.ts runs it with ITKIT_AUDIT_PERMISSIONS set alone.
import { integration } from "../../../mod.ts";

integration("reads a variable it does not declare", () => {
  console.log(`READ ${Deno.env.get("HOME") !== undefined}`);
});
