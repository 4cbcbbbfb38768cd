// See _shared_helpers.ts.
import { sharedHelpersFile } from "./_shared_helpers.ts";

sharedHelpersFile("b");
