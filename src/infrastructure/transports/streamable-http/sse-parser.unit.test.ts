import { SseParser, type SseEvent } from './sse-parser';

const parse = (...chunks: Array<string | Buffer>): { events: SseEvent[]; retries: number[] } => {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ onEvent: (event) => events.push(event), onRetry: (millis) => retries.push(millis) });
  for (const chunk of chunks) parser.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return { events, retries };
};

describe('SseParser', () => {
  it('dispatches an event at each blank line, with its type, data and id', () => {
    const { events } = parse('event: message\nid: 7\ndata: {"a":1}\n\ndata: two\n\n');
    expect(events).toEqual([
      { event: 'message', data: '{"a":1}', id: '7' },
      { event: 'message', data: 'two', id: '7' },
    ]);
  });

  it('joins data lines with LF and drops one leading space of a value only', () => {
    expect(parse('data:  a\ndata:b\n\n').events).toEqual([{ event: 'message', data: ' a\nb', id: undefined }]);
  });

  it('accepts LF, CR and CRLF line ends, also when a CRLF is split across chunks', () => {
    expect(parse('data: a\r\n\r\ndata: b\r\rdata: c\r', '\n\r', '\n').events.map((e) => e.data)).toEqual(['a', 'b', 'c']);
  });

  it('reassembles a line and a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('data: héllo wörld\n\n');
    const { events } = parse(bytes.subarray(0, 8), bytes.subarray(8, 9), bytes.subarray(9));
    expect(events).toEqual([{ event: 'message', data: 'héllo wörld', id: undefined }]);
  });

  it('skips comments, reports retry, ignores unknown fields and an id with NUL', () => {
    const { events, retries } = parse(': keepalive\n\nretry: 2500\nretry: soon\nfoo: bar\nid: a\0b\nevent: other\ndata: x\n\n');
    expect(retries).toEqual([2500]);
    expect(events.filter((e) => e.data !== '')).toEqual([{ event: 'other', data: 'x', id: undefined }]);
  });

  it('keeps a priming event (id, empty data) so its id can be used to resume', () => {
    const { events } = parse('id: prime-1\ndata: \n\n');
    expect(events).toEqual([{ event: 'message', data: '', id: 'prime-1' }]);
  });

  it('holds an incomplete event until its blank line arrives', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ onEvent: (event) => events.push(event) });
    parser.push(Buffer.from('data: part'));
    parser.push(Buffer.from('ial\n'));
    expect(events).toEqual([]);
    parser.push(Buffer.from('\n'));
    expect(events.map((e) => e.data)).toEqual(['partial']);
  });
});
