import { resolve } from "node:path";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createChainClients, nodeRegistryAbi, paymentEscrowAbi } from "../../chain/index.js";
import { readOperatorKeyFile } from "../../config/index.js";
import { authorizeSigner, depositWithPermit, signSignerAuthorization } from "../../sdk/index.js";
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
  senderOf,
} from "./chainSupport.js";
import { approveIfShort } from "./node.js";

/** How long a permit or a signer authorization is valid for. */
const DEADLINE_SECONDS = 3_600n;

/** The wallet client of the session's key, for the SDK's functions (they sign with viem's wallet actions). */
function walletOf(session: ChainSession) {
  const { account } = senderOf(session);
  return createChainClients({
    rpcUrl: session.config.chain.rpcUrl as string,
    chainId: session.deployment.chainId,
    account,
    retryCount: 1,
    pollingIntervalMs: 100,
  }).walletClient;
}

async function deadlineOf(session: ChainSession): Promise<bigint> {
  const block = await session.publicClient.getBlock();
  return block.timestamp + DEADLINE_SECONDS;
}

async function readAccount(session: ChainSession, payer: Address, node: Address) {
  return session.publicClient.readContract({
    address: session.deployment.contracts.paymentEscrow,
    abi: paymentEscrowAbi,
    functionName: "accountOf",
    args: [payer, node],
  });
}

/** `olnode deposit`. */
export const depositCommand: Command = {
  path: ["deposit"],
  summary: "fund the escrow account that pays a node, or authorize a receipt signer",
  description: [
    "Deposits OPEN into the PaymentEscrow for one node: the payer is the key of --key-file, else keys.operatorKeyFile",
    "(a dapp keeps its own key file; `olnode keys generate --operator` with another path makes one). Without",
    "--permit it approves the escrow when the allowance is short, then deposit(node, amount); with --permit it signs an",
    "EIP-2612 permit and deposits in one transaction. Prints the escrow account (balance, thawing) afterwards.",
    "",
    "--authorize <signer key file> instead lets that key sign receipts for the payer: the signer signs the",
    "authorization, the payer sends it (PaymentEscrow.authorizeSigner).",
  ].join("\n"),
  positionals: [],
  options: {
    ...KEY_OPTIONS,
    node: { type: "string", valueName: "<address>", description: "the node the deposit pays" },
    amount: { type: "string", valueName: "<OPEN>", description: "how much, in OPEN (e.g. 25 or 0.5)" },
    permit: { type: "boolean", description: "approve by an EIP-2612 permit signature (one transaction)" },
    authorize: {
      type: "string",
      valueName: "<path>",
      description: "key file of a signer to authorize for the payer (instead of a deposit)",
    },
  },
  configFlags: true,
  examples: [
    "olnode deposit --node 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --amount 25",
    "olnode deposit --node 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --amount 0.5 --permit --key-file payer.json",
    "olnode deposit --authorize hot-signer.json --key-file payer.json",
  ],
  async run(context) {
    const authorizePath = optionalFlag(context, "authorize");
    if (authorizePath !== undefined) {
      for (const flag of ["node", "amount", "permit"]) {
        if (context.args.options[flag] !== undefined)
          throw new CliError(`--authorize takes no --${flag}`, ExitCode.USAGE_ERROR, "CLI_ERROR_CONFLICTING_FLAGS");
      }
      await runAuthorize(context, authorizePath);
      return;
    }
    const nodeFlag = optionalFlag(context, "node");
    const amountFlag = optionalFlag(context, "amount");
    if (nodeFlag === undefined || amountFlag === undefined) {
      throw new CliError(
        `missing ${nodeFlag === undefined ? "--node <address>" : "--amount <OPEN>"} (or --authorize <path>)`,
        ExitCode.USAGE_ERROR,
        "CLI_ERROR_MISSING_ARGUMENT",
      );
    }
    const node = parseAddressArg(nodeFlag, "--node");
    const amount = parseOpen(amountFlag, "--amount");
    if (amount === 0n) throw new CliError("--amount must be above 0", ExitCode.USAGE_ERROR, "CLI_ERROR_BAD_AMOUNT");
    const permit = context.args.options.permit === true;
    const session = await openChainSession(context, true);
    try {
      const { sender, account } = senderOf(session);
      const escrow = session.deployment.contracts.paymentEscrow;
      const result = await onChain(session.rpcHost, async () => {
        const active = await session.publicClient.readContract({
          address: session.deployment.contracts.nodeRegistry,
          abi: nodeRegistryAbi,
          functionName: "isActive",
          args: [node],
        });
        if (!active) {
          throw new CliError(
            `${node} is not an active node in the NodeRegistry: check the address`,
            ExitCode.USER_ERROR,
            "CLI_ERROR_UNKNOWN_NODE",
          );
        }
        let hash: Hex;
        let approval: Hex | undefined;
        if (permit) {
          hash = await depositWithPermit(walletOf(session), {
            escrow,
            node,
            amount,
            deadline: await deadlineOf(session),
            token: session.deployment.contracts.openToken,
          });
          const receipt = await session.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 });
          if (receipt.status !== "success") {
            throw new CliError(`depositWithPermit ${hash} was mined and reverted`, ExitCode.USER_ERROR);
          }
        } else {
          approval = await approveIfShort(session, escrow, amount);
          hash = (
            await sender.send({
              label: "PaymentEscrow.deposit",
              address: escrow,
              abi: paymentEscrowAbi,
              functionName: "deposit",
              args: [node, amount],
            })
          ).hash;
        }
        return { hash, approval, after: await readAccount(session, account.address, node) };
      });
      const out = {
        payer: account.address,
        node,
        amount,
        permit,
        account: { balance: result.after.balance, thawing: result.after.thawing, thawEnd: result.after.thawEnd },
        transactions: { approve: result.approval ?? null, deposit: result.hash },
      };
      if (context.json) {
        writeJson(context.io.stdout, out);
        return;
      }
      context.io.stdout.write(
        [
          `deposited ${formatOpen(amount)} for node ${node}${permit ? " (permit)" : ""}`,
          `  payer     ${account.address}`,
          `  balance   ${formatOpen(result.after.balance)}`,
          `  thawing   ${formatOpen(result.after.thawing)}`,
          `  tx        ${result.hash}`,
          "",
        ].join("\n"),
      );
    } finally {
      await session.close();
    }
  },
};

async function runAuthorize(context: Parameters<Command["run"]>[0], path: string): Promise<void> {
  const signerKey = await readOperatorKeyFile(resolve(context.io.cwd, path));
  const session = await openChainSession(context, true);
  try {
    const { account } = senderOf(session);
    const escrow = session.deployment.contracts.paymentEscrow;
    const signer = privateKeyToAccount(signerKey.privateKey);
    const hash = await onChain(session.rpcHost, async () => {
      const signerWallet = createChainClients({
        rpcUrl: session.config.chain.rpcUrl as string,
        chainId: session.deployment.chainId,
        account: signer,
        retryCount: 1,
      }).walletClient;
      const authorization = await signSignerAuthorization(signerWallet, {
        escrow,
        payer: account.address,
        deadline: await deadlineOf(session),
        chainId: BigInt(session.deployment.chainId),
      });
      const sent = await authorizeSigner(walletOf(session), { escrow, authorization });
      const receipt = await session.publicClient.waitForTransactionReceipt({ hash: sent, pollingInterval: 100 });
      if (receipt.status !== "success") {
        throw new CliError(`authorizeSigner ${sent} was mined and reverted`, ExitCode.USER_ERROR);
      }
      return sent;
    });
    const authorized = await session.publicClient.readContract({
      address: escrow,
      abi: paymentEscrowAbi,
      functionName: "isAuthorizedSigner",
      args: [account.address, signer.address],
    });
    if (context.json) {
      writeJson(context.io.stdout, { payer: account.address, signer: signer.address, authorized, transaction: hash });
      return;
    }
    context.io.stdout.write(
      `${signer.address} ${authorized ? "may now sign" : "is NOT authorized to sign"} receipts for ${account.address}\n  tx ${hash}\n`,
    );
  } finally {
    await session.close();
  }
}
