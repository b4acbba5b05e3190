import { getChainId } from "viem/actions";
import type { AccountClient } from "./types.js";

/** The chain id to sign for: the client's chain when it has one, else the node it talks to. */
export async function getChainIdOf(client: AccountClient): Promise<bigint> {
  return BigInt(client.chain?.id ?? (await getChainId(client)));
}
