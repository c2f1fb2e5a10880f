import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../infrastructure/crypto';
import { InputFlows, RequestStateError, RequestStates } from './modern-input';

const box = (): SecretBox => {
  const key = { id: 'k1', key: randomBytes(32) };
  return new SecretBox(key, new Map([[key.id, key]]));
};
const OWNER = { profileId: 'p1', keyId: 'key-1' };

describe('RequestStates', () => {
  let now = 1_000_000;
  const states = new RequestStates(box(), () => now);

  it('opens what it sealed for the same client, flow and upstream states alike', () => {
    expect(states.open(states.seal({ kind: 'flow', flowId: 'flow:a', round: 2 }, OWNER, 1000), OWNER)).toEqual({ kind: 'flow', flowId: 'flow:a', round: 2 });
    expect(states.open(states.seal({ kind: 'upstream', state: 'opaque' }, OWNER, 1000), OWNER)).toEqual({ kind: 'upstream', state: 'opaque' });
    expect(states.open(states.seal({ kind: 'upstream', state: null }, OWNER, 1000), OWNER)).toEqual({ kind: 'upstream', state: null });
  });

  it.each([
    ['appended', (s: string) => `${s}-TAMPERED`],
    ['a flipped character', (s: string) => `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`],
    ['emptied', () => ''],
  ])('refuses a state %s', (_what, tamper) => {
    const sealed = states.seal({ kind: 'flow', flowId: 'flow:a', round: 1 }, OWNER, 1000);
    expect(() => states.open(tamper(sealed), OWNER)).toThrow(RequestStateError);
  });

  it('refuses a state sealed by another gateway, for another key or profile, or past its expiry', () => {
    const sealed = states.seal({ kind: 'flow', flowId: 'flow:a', round: 1 }, OWNER, 1000);
    expect(() => new RequestStates(box()).open(sealed, OWNER)).toThrow('does not verify');
    expect(() => states.open(sealed, { ...OWNER, keyId: 'key-2' })).toThrow('another client');
    expect(() => states.open(sealed, { ...OWNER, profileId: 'p2' })).toThrow('another client');
    now += 1001;
    expect(() => states.open(sealed, OWNER)).toThrow('expired');
  });
});

describe('InputFlow', () => {
  it('reports a question, takes the answer on resume, then the result; a replayed round is refused', async () => {
    const flows = new InputFlows();
    const flow = flows.begin(OWNER, { elicitation: {} });
    let answered: unknown;
    flow.start(
      (async () => {
        answered = await flow.ask({ method: 'elicitation/create', params: { message: 'ok?' } }, new AbortController().signal);
        return { content: [{ type: 'text', text: 'done' }] };
      })(),
    );
    const first = await flow.next();
    expect(first).toEqual({ kind: 'input', round: 1, inputRequests: { 'elicitation-1': { method: 'elicitation/create', params: { message: 'ok?' } } } });
    flow.resume(1, { 'elicitation-1': { action: 'accept' }, ignored: { action: 'decline' } });
    expect(await flow.next()).toEqual({ kind: 'done', result: { content: [{ type: 'text', text: 'done' }] } });
    expect(answered).toEqual({ action: 'accept' });
    expect(() => flow.resume(1, {})).toThrow(RequestStateError);
    flow.end();
    expect(flows.get(flow.id)).toBeUndefined();
  });

  it('an abort fails the waiting question and the flow', async () => {
    const flow = new InputFlows().begin(OWNER, {});
    const asked = flow.ask({ method: 'roots/list' }, new AbortController().signal);
    flow.start(asked.then(() => ({})));
    expect((await flow.next()).kind).toBe('input');
    flow.abort(new Error('gone'));
    await expect(asked).rejects.toThrow('gone');
    expect(await flow.next()).toMatchObject({ kind: 'failed' });
  });

  it('a call that ends while its question is out (timed out upstream) fails the question, which nothing would answer any more', async () => {
    const flow = new InputFlows().begin(OWNER, { sampling: {} });
    const asked = flow.ask({ method: 'sampling/createMessage', params: {} }, new AbortController().signal);
    let fail: (error: Error) => void = () => undefined;
    flow.start(new Promise((_resolve, reject) => (fail = reject)));
    expect((await flow.next()).kind).toBe('input');
    fail(new Error('timed out'));
    await expect(asked).rejects.toThrow('has ended');
    expect(await flow.next()).toMatchObject({ kind: 'failed', error: new Error('timed out') });
  });
});
