import { cases } from "../cases/subscriptions.ts";
import { itkitSuite } from "./_suite.ts";

itkitSuite("subscriptions", cases);
