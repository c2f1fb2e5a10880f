import { allowlistedFetch, isHostAllowed, upstreamUrlRefusal } from './host-allowlist';

describe('upstream host allowlist', () => {
  it('allows any host when the list is empty', () => {
    expect(isHostAllowed(new URL('https://anything.example/mcp'), [])).toBe(true);
  });

  it.each([
    ['https://API.example.com/mcp', true],
    ['http://api.example.com:8080/', true],
    ['https://evil.api.example.com/', false],
    ['https://api.example.com.evil.example/', false],
    ['http://[::1]:3000/mcp', true],
    ['http://127.0.0.1/', false],
    ['http://2130706433/', false],
  ])('%s → %s under [api.example.com, [::1]]', (url, allowed) => {
    expect(isHostAllowed(new URL(url), ['api.example.com', '[::1]'])).toBe(allowed);
  });

  it.each([
    ['file:///etc/passwd', /file:/],
    ['ftp://api.example.com/', /ftp:/],
    ['https://user:secret@api.example.com/', /credentials/],
    ['https://other.example/', /not in settings.upstreamAllowedHosts/],
    ['not a url', /not a URL/],
  ])('refuses %s', (url, reason) => {
    expect(upstreamUrlRefusal(url, ['api.example.com'])).toMatch(reason);
  });

  it('does not echo credentials of a refused URL', () => {
    expect(upstreamUrlRefusal('https://user:hunter2@api.example.com/', [])).not.toContain('hunter2');
  });

  it('checks every request and refuses redirects under an allowlist', async () => {
    const seen: (RequestInit | undefined)[] = [];
    const base = (async (_input: unknown, init?: RequestInit) => {
      seen.push(init);
      return new Response('ok');
    }) as typeof fetch;
    let hosts: string[] = ['api.example.com'];
    const guarded = allowlistedFetch(() => hosts, base);
    await guarded('https://api.example.com/mcp', { method: 'POST' });
    expect(seen[0]).toEqual({ method: 'POST', redirect: 'error' });
    await expect(guarded('https://elsewhere.example/mcp')).rejects.toThrow(/not in settings.upstreamAllowedHosts/);
    hosts = [];
    await guarded('https://elsewhere.example/mcp', { method: 'GET' });
    expect(seen[1]).toEqual({ method: 'GET' });
  });
});
