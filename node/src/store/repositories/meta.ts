import { decodeAbiParameters, encodeAbiParameters, hexToBytes } from "viem";
import type { SettlementDomain } from "../../protocol/index.js";
import { Bucket } from "../buckets.js";
import type { BatchOp, Database } from "../database.js";
import { decodeUint, encodeUint } from "../encoding.js";
import { Repository } from "./repository.js";

/** The keys of the meta bucket. */
export enum MetaKey {
  /** uint32, 4 big-endian bytes. */
  schemaVersion = "schemaVersion",
  /** `abi.encode(uint256 chainId, address verifyingContract)` of the Settlement domain the records were signed in. */
  domain = "domain",
}

/** The chain and contract a database belongs to. */
export type StoreDomain = Pick<SettlementDomain, "chainId" | "verifyingContract">;

const domainParameters = [
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

/**
 * Database-wide facts under UTF-8 names: the schema version (4 bytes, big-endian) and the Settlement domain
 * (`abi.encode(uint256 chainId, address verifyingContract)`), so a database is never read by code of another schema
 * or against another chain. Values are raw here; the typed accessors own each key's encoding.
 */
export class MetaRepository extends Repository<MetaKey, Uint8Array> {
  constructor(db: Database) {
    super(db, Bucket.meta);
  }

  encodeKey(key: MetaKey): Uint8Array {
    return new TextEncoder().encode(key);
  }

  decodeKey(key: Uint8Array): MetaKey {
    return new TextDecoder().decode(key) as MetaKey;
  }

  encodeValue(value: Uint8Array): Uint8Array {
    return value;
  }

  decodeValue(bytes: Uint8Array): Uint8Array {
    return bytes;
  }

  /** The stored schema version, or undefined when none is stored. */
  async getSchemaVersion(): Promise<number | undefined> {
    const key = this.getDbKey(MetaKey.schemaVersion);
    const bytes = await this.db.get(key);
    if (bytes === undefined) return undefined;
    return this.decodeAt(key, () => {
      if (bytes.length !== 4) throw new RangeError(`expected 4 bytes, found ${bytes.length}`);
      return Number(decodeUint(bytes));
    });
  }

  /** The batch write that stores schema version `version`. */
  schemaVersionOp(version: number): BatchOp {
    return this.putOp(MetaKey.schemaVersion, encodeUint(version, 4));
  }

  /** The stored domain, or undefined when none is stored. */
  async getDomain(): Promise<StoreDomain | undefined> {
    const key = this.getDbKey(MetaKey.domain);
    const bytes = await this.db.get(key);
    if (bytes === undefined) return undefined;
    return this.decodeAt(key, () => {
      const [chainId, verifyingContract] = decodeAbiParameters(domainParameters, bytes);
      return { chainId, verifyingContract };
    });
  }

  /** The batch write that stores `domain`. */
  domainOp(domain: StoreDomain): BatchOp {
    return this.putOp(
      MetaKey.domain,
      hexToBytes(encodeAbiParameters(domainParameters, [domain.chainId, domain.verifyingContract])),
    );
  }
}
