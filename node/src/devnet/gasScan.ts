import { type Abi, type Address, decodeFunctionData, type Hex, type PublicClient } from "viem";
import {
  adapterRegistryAbi,
  arbiterAbi,
  datanetRegistryAbi,
  nodeRegistryAbi,
  openTokenAbi,
  paymentEscrowAbi,
  settlementAbi,
} from "../chain/abi/index.js";
import type { Deployment } from "../chain/index.js";
import { GasLedger } from "./gasLedger.js";

/** The most blocks one scan reads (a devnet run makes a few hundred). */
const MAX_SCANNED_BLOCKS = 100_000n;

/**
 * Every transaction mined in `[fromBlock, head]`, labelled `Contract.function` from the protocol's ABIs (or
 * `transfer (ETH)`, `deploy`, `<address>.call` when no ABI names it), into a {@link GasLedger}. Reads the chain itself, so
 * it counts what the nodes, the CLI and the SDK sent as well as the devnet's own transactions.
 */
export async function scanGas(client: PublicClient, deployment: Deployment, fromBlock: bigint): Promise<GasLedger> {
  const contracts: [string, Address, Abi][] = [
    ["OpenToken", deployment.contracts.openToken, openTokenAbi],
    ["DatanetRegistry", deployment.contracts.datanetRegistry, datanetRegistryAbi],
    ["NodeRegistry", deployment.contracts.nodeRegistry, nodeRegistryAbi],
    ["AdapterRegistry", deployment.contracts.adapterRegistry, adapterRegistryAbi],
    ["Arbiter", deployment.contracts.arbiter, arbiterAbi],
    ["PaymentEscrow", deployment.contracts.paymentEscrow, paymentEscrowAbi],
    ["Settlement", deployment.contracts.settlement, settlementAbi],
  ];
  const byAddress = new Map(contracts.map(([name, address, abi]) => [address.toLowerCase(), { name, abi }]));
  const head = await client.getBlockNumber({ cacheTime: 0 });
  if (head - fromBlock > MAX_SCANNED_BLOCKS) {
    throw new Error(`gas scan: ${head - fromBlock} blocks to read, at most ${MAX_SCANNED_BLOCKS}`);
  }
  const ledger = new GasLedger();
  for (let n = fromBlock; n <= head; n++) {
    const block = await client.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      ledger.add({ label: labelOf(byAddress, tx.to ?? null, tx.input), gasUsed: receipt.gasUsed });
    }
  }
  return ledger;
}

function labelOf(byAddress: Map<string, { name: string; abi: Abi }>, to: Address | null, input: Hex): string {
  if (to === null) return "deploy";
  const contract = byAddress.get(to.toLowerCase());
  if (contract === undefined) return input === "0x" ? "transfer (ETH)" : `${to.slice(0, 10)}….call`;
  try {
    const { functionName } = decodeFunctionData({ abi: contract.abi, data: input });
    return `${contract.name}.${functionName}`;
  } catch {
    return `${contract.name}.<unknown>`;
  }
}
