import { Address, SecretKey } from "@massa-ts/models";
import type { Command } from "commander";

export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .description("generate a new Ed25519 key pair and print its secret key, public key and address")
    .option("--json", "print one JSON object instead of text")
    .action((opts: { json?: boolean }) => {
      const sk = SecretKey.generate();
      const out = {
        secretKey: sk.toString(),
        publicKey: sk.publicKey.toString(),
        address: Address.fromPublicKey(sk.publicKey).toString(),
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(out)}\n`);
      } else {
        process.stdout.write(
          `Secret key: ${out.secretKey}\nPublic key: ${out.publicKey}\nAddress:    ${out.address}\n`,
        );
      }
    });
}
