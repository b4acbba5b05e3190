import { expect } from "chai";
import { type Account, createWalletClient, custom, hashTypedData, recoverAddress } from "viem";
import { toAccount } from "viem/accounts";
import {
  paymentEscrowDomain,
  SIGNER_AUTHORIZATION_TYPE,
  signerAuthorizationTypes,
} from "../../../../node/src/protocol/index.js";
import {
  type AccountClient,
  authorizeSigner,
  EscrowErrorCode,
  signSignerAuthorization,
} from "../../../../node/src/sdk/index.js";
import { expectRejectedWithCode, payerAccount, SETTLEMENT, signerAccount, strangerAccount } from "./helpers.js";

const ESCROW = SETTLEMENT;

function offlineClient(account: Account): AccountClient {
  return createWalletClient({
    account,
    transport: custom({
      request: async ({ method }) => {
        throw new Error(`no RPC in unit tests (${method})`);
      },
    }),
  });
}

describe("sdk/signSignerAuthorization and authorizeSigner (before anything is sent)", () => {
  it("signs SignerAuthorization(payer, signer, nonce, deadline) under (OLP PaymentEscrow, 1, chain, escrow), offline", async () => {
    expect(SIGNER_AUTHORIZATION_TYPE).to.equal(
      "SignerAuthorization(address payer,address signer,uint256 nonce,uint256 deadline)",
    );
    const authorization = await signSignerAuthorization(offlineClient(signerAccount), {
      escrow: ESCROW,
      payer: payerAccount.address,
      deadline: 1_900_000_000n,
      nonce: 42n,
      chainId: 8453n,
    });
    expect(authorization).to.deep.include({
      payer: payerAccount.address,
      signer: signerAccount.address,
      nonce: 42n,
      deadline: 1_900_000_000n,
    });
    const hash = hashTypedData({
      domain: { name: "OLP PaymentEscrow", version: "1", chainId: 8453n, verifyingContract: ESCROW },
      types: signerAuthorizationTypes,
      primaryType: "SignerAuthorization",
      message: { payer: payerAccount.address, signer: signerAccount.address, nonce: 42n, deadline: 1_900_000_000n },
    });
    expect(paymentEscrowDomain(8453n, ESCROW)).to.deep.equal({
      name: "OLP PaymentEscrow",
      version: "1",
      chainId: 8453n,
      verifyingContract: ESCROW,
    });
    expect(await recoverAddress({ hash, signature: authorization.signature })).to.equal(signerAccount.address);
  });

  it("draws a fresh random nonce when none is given", async () => {
    const parameters = { escrow: ESCROW, payer: payerAccount.address, deadline: 1n, chainId: 1n };
    const a = await signSignerAuthorization(offlineClient(signerAccount), parameters);
    const b = await signSignerAuthorization(offlineClient(signerAccount), parameters);
    expect(a.nonce).to.not.equal(b.nonce);
    expect(a.nonce > 2n ** 128n || b.nonce > 2n ** 128n).to.equal(true);
  });

  it("refuses a wallet whose signature is not by the signer", async () => {
    const liar = toAccount({
      address: signerAccount.address,
      signMessage: (p) => strangerAccount.signMessage(p),
      signTransaction: (p) => strangerAccount.signTransaction(p),
      signTypedData: (p) => strangerAccount.signTypedData(p),
    });
    await expectRejectedWithCode(
      signSignerAuthorization(offlineClient(liar), {
        escrow: ESCROW,
        payer: payerAccount.address,
        deadline: 1n,
        chainId: 1n,
      }),
      EscrowErrorCode.BAD_SIGNATURE,
      { expected: signerAccount.address, recovered: strangerAccount.address },
    );
  });

  it("refuses to send an authorization that names another payer", async () => {
    const authorization = await signSignerAuthorization(offlineClient(signerAccount), {
      escrow: ESCROW,
      payer: payerAccount.address,
      deadline: 1n,
      chainId: 1n,
    });
    await expectRejectedWithCode(
      authorizeSigner(offlineClient(strangerAccount), { escrow: ESCROW, authorization }),
      EscrowErrorCode.PAYER_MISMATCH,
      { payer: payerAccount.address, sender: strangerAccount.address },
    );
  });
});
