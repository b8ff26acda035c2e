import { createClient } from "@codex-review-eval/fakelib";
import { logger } from "@codex-review-eval/tinylog";

const log = logger("notify");

// Webhook posts alerts to one URL a team registered.
export class Webhook {
  constructor(url) {
    this.url = url;
    // Reuse connections: TLS handshakes were most of a delivery's time.
    this.client = createClient({ timeoutMs: 5000, keepAlive: true });
  }

  // send posts one alert as JSON and resolves once the receiver took it.
  async send(alert) {
    const res = await this.client.postJSON(this.url, alert);
    log.debug("delivered", { url: this.url, status: res.status });
    return res.status;
  }
}
