/**
 * The code under test in the API example: a small client for a JSON API.
 *
 * @module
 */

/** A client for `https://api.example.com`. */
export class ApiClient {
  readonly #base: string;

  /** @param base The API's base URL. */
  constructor(base = "https://api.example.com") {
    this.#base = base;
  }

  /** GETs `/data` and returns the parsed JSON. */
  async getData(): Promise<{ result: string }> {
    const response = await fetch(`${this.#base}/data`);
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`GET /data failed: HTTP ${response.status}`);
    }
    return await response.json();
  }
}
