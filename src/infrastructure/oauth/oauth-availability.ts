import { publishesOAuthMetadata } from './discovery';

/** How long an answer is kept: the console reads a server's page often, and an upstream seldom starts or stops doing OAuth. */
const ANSWER_TTL_MS = 60_000;
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
