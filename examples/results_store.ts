/**
 * The code under test in the results-store examples: benchmark results saved
 * as JSON records on local disk (and, in `results_store_s3.ts`, in S3).
 *
 * @module
 */

import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3ClientLike } from "../s3.ts";

/** One benchmark result. */
export interface ResultRecord {
  model: string;
  [metric: string]: string | number;
}

/** Saves and loads result records as JSON files under a directory. */
export class LocalResultsStore {
  readonly #dir: string;

  /** @param dir The directory records are stored in. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Saves a record under `name`; returns the file's path. */
  async save(name: string, record: ResultRecord): Promise<string> {
    const path = `${this.#dir}/${name}.json`;
    await Deno.writeTextFile(path, JSON.stringify(record));
    return path;
  }

  /** Loads the record saved under `name`. */
  async load(name: string): Promise<ResultRecord> {
    return JSON.parse(await Deno.readTextFile(`${this.#dir}/${name}.json`));
  }
}

/** Saves result records as JSON objects in an S3 bucket. */
export class S3ResultsStore {
  readonly #client: S3ClientLike;
  readonly #bucket: string;

  /**
   * @param client An S3 client.
   * @param bucket The bucket records go to.
   */
  constructor(client: S3ClientLike, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  /** Saves `record` as JSON under `key`. */
  async saveToS3(key: string, record: ResultRecord): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: JSON.stringify(record),
        ContentType: "application/json",
      }),
    );
  }

  /** Whether an object exists under `key`. */
  async existsInS3(key: string): Promise<boolean> {
    try {
      await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === "NotFound") return false;
      throw error;
    }
  }
}
