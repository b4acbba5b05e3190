import { decodeAbiParameters, encodeAbiParameters, hexToBytes } from "viem";
import { Bucket } from "../buckets.js";
import type { Database } from "../database.js";
import { decodeUint, encodeUint } from "../encoding.js";
import type { AdapterVersion } from "../types.js";
import { Repository } from "./repository.js";

/** `IAdapterRegistry.VersionProof`, field for field. */
const versionProofComponents = [
  { name: "contributorsRoot", type: "bytes32" },
  { name: "weightsHash", type: "bytes32" },
  { name: "checkpointRoot", type: "bytes32" },
  { name: "finalHead", type: "bytes32" },
  { name: "initialWeightsHash", type: "bytes32" },
  { name: "initialStateHash", type: "bytes32" },
  { name: "checkpointCount", type: "uint32" },
  { name: "evalScore", type: "uint32" },
] as const;

const adapterVersionParameters = [
  {
    name: "version",
    type: "tuple",
    components: [
      { name: "versionId", type: "uint256" },
      { name: "adapterId", type: "uint256" },
      { name: "owner", type: "address" },
      { name: "commitmentId", type: "uint256" },
      { name: "datasetIds", type: "uint256[]" },
      { name: "status", type: "uint8" },
      { name: "bond", type: "uint256" },
      { name: "challengeEnd", type: "uint64" },
      { name: "submitBlock", type: "uint64" },
      { name: "openChallenges", type: "uint32" },
      { name: "proof", type: "tuple", components: versionProofComponents },
    ],
  },
] as const;

/**
 * Adapter versions indexed from the AdapterRegistry, by version id (32 big-endian bytes, uint256). Value:
 * `abi.encode((uint256 versionId, uint256 adapterId, address owner, uint256 commitmentId, uint256[] datasetIds,
 * uint8 status, uint256 bond, uint64 challengeEnd, uint64 submitBlock, uint32 openChallenges, VersionProof proof))`.
 */
export class AdapterRepository extends Repository<bigint, AdapterVersion> {
  constructor(db: Database) {
    super(db, Bucket.adapters);
  }

  encodeKey(versionId: bigint): Uint8Array {
    return encodeUint(versionId, 32);
  }

  decodeKey(key: Uint8Array): bigint {
    if (key.length !== 32) throw new RangeError(`expected a 32-byte key, found ${key.length} bytes`);
    return decodeUint(key);
  }

  encodeValue(version: AdapterVersion): Uint8Array {
    return hexToBytes(encodeAbiParameters(adapterVersionParameters, [version]));
  }

  decodeValue(bytes: Uint8Array): AdapterVersion {
    const [version] = decodeAbiParameters(adapterVersionParameters, bytes);
    return { ...version, datasetIds: [...version.datasetIds], proof: { ...version.proof } };
  }

  /** Up to `limit` versions ascending by id, from `after` (exclusive) on. */
  async list(limit: number, after?: bigint): Promise<AdapterVersion[]> {
    const rows = await this.entriesWithPrefix(
      new Uint8Array(0),
      limit,
      after === undefined ? undefined : encodeUint(after, 32),
    );
    return rows.map(({ value }) => value);
  }
}
