import { resolve } from "node:path";
import { type Address, getAddress, type Hex } from "viem";
import { nodeRegistryAbi, openTokenAbi } from "../../chain/index.js";
import { readPeerKeyFile } from "../../config/index.js";
import { CliError, type Command, ExitCode, writeJson } from "../command.js";
import {
  type ChainSession,
  formatOpen,
  KEY_OPTIONS,
  onChain,
  openChainSession,
  optionalFlag,
  parseAddressArg,
  parseOpen,
  parseUintArg,
  requireFlag,
  senderOf,
} from "./chainSupport.js";

/** Most characters of an endpoint URL (the contract bounds it too). */
const MAX_ENDPOINT_LENGTH = 256;

/** Approves `spender` for `amount` of OPEN when the allowance is short; returns the approval's hash, if one was sent. */
export async function approveIfShort(
  session: ChainSession,
  spender: Address,
  amount: bigint,
): Promise<Hex | undefined> {
  const { sender, account } = senderOf(session);
  const token = session.deployment.contracts.openToken;
  const allowance = await session.publicClient.readContract({
    address: token,
    abi: openTokenAbi,
    functionName: "allowance",
    args: [account.address, spender],
  });
  if (allowance >= amount) return undefined;
  const balance = await session.publicClient.readContract({
    address: token,
    abi: openTokenAbi,
    functionName: "balanceOf",
    args: [account.address],
  });
  if (balance < amount) {
    throw new CliError(
      `${account.address} holds ${formatOpen(balance)}, needs ${formatOpen(amount)}`,
      ExitCode.USER_ERROR,
      "CLI_ERROR_INSUFFICIENT_BALANCE",
    );
  }
  const { hash } = await sender.send({
    label: "OpenToken.approve",
    address: token,
    abi: openTokenAbi,
    functionName: "approve",
    args: [spender, amount],
  });
  return hash;
}

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--endpoint ${JSON.stringify(value)} is not a URL`, ExitCode.USAGE_ERROR, "CLI_ERROR_BAD_URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(
      `--endpoint must be http(s)://, found ${url.protocol}`,
      ExitCode.USAGE_ERROR,
      "CLI_ERROR_BAD_URL",
    );
  }
  if (value.length > MAX_ENDPOINT_LENGTH) {
    throw new CliError(`--endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters`, ExitCode.USAGE_ERROR);
  }
  return value;
}

/** `olnode node register`. */
export const nodeRegisterCommand: Command = {
  path: ["node", "register"],
  summary: "register this node in the NodeRegistry with its stake, peer id and endpoint",
  description: [
    "Registers the key's address as a node: approves the stake to the NodeRegistry when the allowance is short, then",
    "NodeRegistry.register(operator, stake, peerId, endpoint). The peer id is read from p2p.peerKeyFile; the",
    "operator (who signs records and is credited) is --operator, else the key's own address. The key is",
    "keys.operatorKeyFile unless --key-file names another; it pays the stake and becomes the node's address.",
  ].join("\n"),
  positionals: [],
  options: {
    ...KEY_OPTIONS,
    stake: { type: "string", valueName: "<OPEN>", description: "stake to bond, in OPEN (at least minStake)" },
    endpoint: { type: "string", valueName: "<url>", description: "the node's public HTTP API, http(s)://" },
    operator: { type: "string", valueName: "<address>", description: "the operator address (default: the key's)" },
  },
  configFlags: true,
  examples: [
    "olnode node register --stake 1000 --endpoint https://node.example.com",
    "olnode node register --stake 1000 --endpoint https://node.example.com --operator 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json",
  ],
  async run(context) {
    const stake = parseOpen(requireFlag(context, "stake", "<OPEN>"), "--stake");
    const endpoint = parseEndpoint(requireFlag(context, "endpoint", "<url>"));
    const operatorFlag = optionalFlag(context, "operator");
    const givenOperator = operatorFlag === undefined ? undefined : parseAddressArg(operatorFlag, "--operator");
    const session = await openChainSession(context, true);
    try {
      const { sender, account } = senderOf(session);
      const peer = await readPeerKeyFile(resolve(context.io.cwd, session.config.p2p.peerKeyFile));
      const peerId = peer.peerId.toString();
      const operator = givenOperator ?? account.address;
      const registry = session.deployment.contracts.nodeRegistry;
      const result = await onChain(session.rpcHost, async () => {
        const existing = await session.publicClient.readContract({
          address: registry,
          abi: nodeRegistryAbi,
          functionName: "getNode",
          args: [account.address],
        });
        if (existing.registered) {
          throw new CliError(
            `${account.address} is already registered (operator ${existing.operator}, stake ${formatOpen(existing.stake)})`,
            ExitCode.USER_ERROR,
            "CLI_ERROR_ALREADY_REGISTERED",
          );
        }
        const minStake = await session.publicClient.readContract({
          address: registry,
          abi: nodeRegistryAbi,
          functionName: "minStake",
        });
        if (stake < minStake) {
          throw new CliError(
            `--stake ${formatOpen(stake)} is below the NodeRegistry's minimum stake of ${formatOpen(minStake)}`,
            ExitCode.USER_ERROR,
            "CLI_ERROR_STAKE_TOO_LOW",
          );
        }
        const approval = await approveIfShort(session, registry, stake);
        const { hash } = await sender.send({
          label: "NodeRegistry.register",
          address: registry,
          abi: nodeRegistryAbi,
          functionName: "register",
          args: [operator, stake, peerId, endpoint],
        });
        return { approval, hash };
      });
      const out = {
        node: getAddress(account.address),
        operator,
        stake,
        peerId,
        endpoint,
        transactions: { approve: result.approval ?? null, register: result.hash },
      };
      if (context.json) {
        writeJson(context.io.stdout, out);
        return;
      }
      context.io.stdout.write(
        [
          `registered node ${out.node}`,
          `  operator  ${operator}`,
          `  stake     ${formatOpen(stake)}`,
          `  peer id   ${peerId}`,
          `  endpoint  ${endpoint}`,
          `  tx        ${result.hash}`,
          "",
        ].join("\n"),
      );
    } finally {
      await session.close();
    }
  },
};

/** `olnode node price`. */
export const nodePriceCommand: Command = {
  path: ["node", "price"],
  summary: "set this node's price per request for an adapter version",
  description: [
    "Sends NodeRegistry.setPrice(versionId, price) from the key (keys.operatorKeyFile, or --key-file): the key must",
    "be a registered node. The price is in OPEN per request; receipts must carry exactly it once the change is",
    "indexed (DESIGN §4).",
  ].join("\n"),
  positionals: [
    { name: "versionId", description: "the adapter version" },
    { name: "price", description: "OPEN per request, e.g. 0.01" },
  ],
  options: KEY_OPTIONS,
  configFlags: true,
  examples: ["olnode node price 1 0.01", "olnode node price 3 0.5 --json"],
  async run(context) {
    const [versionArg, priceArg] = context.args.positionals as [string, string];
    const versionId = parseUintArg(versionArg, "versionId");
    const price = parseOpen(priceArg, "price");
    const session = await openChainSession(context, true);
    try {
      const { sender, account } = senderOf(session);
      const registry = session.deployment.contracts.nodeRegistry;
      const { hash, now } = await onChain(session.rpcHost, async () => {
        const node = await session.publicClient.readContract({
          address: registry,
          abi: nodeRegistryAbi,
          functionName: "getNode",
          args: [account.address],
        });
        if (!node.registered) {
          throw new CliError(
            `${account.address} is not a registered node: run 'olnode node register' first`,
            ExitCode.USER_ERROR,
            "CLI_ERROR_UNKNOWN_NODE",
          );
        }
        const sent = await sender.send({
          label: "NodeRegistry.setPrice",
          address: registry,
          abi: nodeRegistryAbi,
          functionName: "setPrice",
          args: [versionId, price],
        });
        const now = await session.publicClient.readContract({
          address: registry,
          abi: nodeRegistryAbi,
          functionName: "priceOf",
          args: [account.address, versionId],
          blockNumber: sent.receipt.blockNumber,
        });
        return { hash: sent.hash, now };
      });
      if (context.json) {
        writeJson(context.io.stdout, { node: account.address, versionId, price: now, transaction: hash });
        return;
      }
      context.io.stdout.write(
        `price of version ${versionId} on node ${account.address}: ${formatOpen(now)} per request\n  tx ${hash}\n`,
      );
    } finally {
      await session.close();
    }
  },
};
