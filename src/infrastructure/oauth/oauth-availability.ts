import { publishesOAuthMetadata } from './discovery';

/** How long an answer is kept: the console reads a server's page often, and an upstream seldom starts or stops doing OAuth. */
const ANSWER_TTL_MS = 60_000;
/**
 * How long a server's page waits for an upstream that is slow to answer (the probe itself may take
 * the OAuth timeout): past it the page says "not known to do OAuth" now, and the answer, kept
 * when it comes, is there for the next read.
 */
const READ_WAIT_MS = 1500;
/** Answers kept at most (one per upstream URL); the oldest goes first. */
const MAX_ANSWERS = 1000;

/**
 * Whether an upstream publishes OAuth metadata, asked at most once a minute per URL (concurrent
 * askers share the one request), so that a server's page can say whether "Authorize with OAuth"
 * can work without sending the user into the API's refusal.
 */
export class OAuthAvailability {
  private readonly answers = new Map<string, Readonly<{ at: number; answer: Promise<boolean> }>>();

  constructor(
    private readonly probe: (url: string) => Promise<boolean> = publishesOAuthMetadata,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer for `url`, or false when it is not there within READ_WAIT_MS. */
  async soon(url: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), READ_WAIT_MS);
    });
    try {
      return await Promise.race([this.of(url), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  of(url: string): Promise<boolean> {
    const cached = this.answers.get(url);
    if (cached !== undefined && this.now() - cached.at < ANSWER_TTL_MS) return cached.answer;
    const answer = this.probe(url);
    this.answers.delete(url);
    this.answers.set(url, { at: this.now(), answer });
    if (this.answers.size > MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value as string);
    return answer;
  }
}
