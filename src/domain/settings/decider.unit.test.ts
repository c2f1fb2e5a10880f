import { deciderSpec } from '../../../test/support/decider-spec';
import type { SettingsCommand } from './commands';
import { settingsDecider } from './decider';
import { DEFAULT_SETTINGS, type Settings, type SettingsEvent } from './events';

const spec = deciderSpec(settingsDecider);

const change = (changes: Partial<Settings>): SettingsCommand => ({ type: 'ChangeSettings', data: { changes } });
const changed = (changes: Partial<Settings>): SettingsEvent => ({ type: 'SettingsChanged', data: { changes } });

describe('settings decider', () => {
  describe('given the defaults', () => {
    it('starts at the defaults', () => {
      expect(spec.given().state()).toEqual(DEFAULT_SETTINGS);
    });

    it('carries only the fields that changed', () => {
      const command = change({ requestTimeoutMs: 30_000, connectTimeoutMs: DEFAULT_SETTINGS.connectTimeoutMs });
      expect(spec.given().when(command)).toEqual({ events: [changed({ requestTimeoutMs: 30_000 })] });
    });

    it('appends nothing when nothing differs', () => {
      expect(spec.given().when(change({ ...DEFAULT_SETTINGS, logMaxRows: undefined }))).toEqual({ events: [] });
    });

    it('ignores keys that are not settings', () => {
      const command = change({ logMaxRows: 5, colour: 'blue' } as Partial<Settings>);
      expect(spec.given().when(command)).toEqual({ events: [changed({ logMaxRows: 5 })] });
    });

    it.each<[keyof Settings, number]>([
      ['requestTimeoutMs', 100],
      ['requestTimeoutMs', 3_600_000],
      ['connectTimeoutMs', 100],
      ['sessionIdleTimeoutMs', 7 * 24 * 3_600_000],
      ['logRetentionDays', 0],
      ['logRetentionDays', 3650],
      ['logMaxRows', 0],
      ['logMaxRows', 100_000_000],
      ['logPayloadMaxBytes', 256],
      ['logPayloadMaxBytes', 10_485_760],
      ['maxProcessesPerServer', 1],
      ['maxProcessesPerServer', 1000],
    ])('accepts %s = %d', (field, value) => {
      expect(spec.given().when(change({ [field]: value }))).toEqual({ events: [changed({ [field]: value })] });
    });

    it.each<[keyof Settings, number]>([
      ['requestTimeoutMs', 99],
      ['requestTimeoutMs', 3_600_001],
      ['connectTimeoutMs', 1.5],
      ['sessionIdleTimeoutMs', 7 * 24 * 3_600_000 + 1],
      ['logRetentionDays', -1],
      ['logRetentionDays', 3651],
      ['logMaxRows', 100_000_001],
      ['logPayloadMaxBytes', 255],
      ['logPayloadMaxBytes', 10_485_761],
      ['maxProcessesPerServer', 0],
      ['maxProcessesPerServer', Number.NaN],
    ])('refuses %s = %d', (field, value) => {
      expect(spec.given().when(change({ [field]: value }))).toEqual({ error: 'INVALID_ARGUMENT', details: { field } });
    });

    describe('upstream allowed hosts', () => {
      it('accepts host names, IPv4 and IPv6 literals', () => {
        const hosts = ['mcp.example.com', 'localhost', '10.0.0.7', '[::1]'];
        expect(spec.given().when(change({ upstreamAllowedHosts: hosts }))).toEqual({
          events: [changed({ upstreamAllowedHosts: hosts })],
        });
      });

      it.each(['https://example.com', 'example.com:8080', '-bad.example', 'a..b', ''])('refuses %j', (host) => {
        expect(spec.given().when(change({ upstreamAllowedHosts: ['ok.example', host] }))).toEqual({
          error: 'INVALID_ARGUMENT',
          details: { field: 'upstreamAllowedHosts', index: 1 },
        });
      });

      it('refuses a host listed twice', () => {
        expect(spec.given().when(change({ upstreamAllowedHosts: ['a.example', 'A.example'] }))).toMatchObject({
          error: 'INVALID_ARGUMENT',
          details: { field: 'upstreamAllowedHosts', index: 1 },
        });
      });

      it('refuses more than 256 hosts', () => {
        const hosts = Array.from({ length: 257 }, (_, i) => `h${i}.example`);
        expect(spec.given().when(change({ upstreamAllowedHosts: hosts }))).toMatchObject({ error: 'INVALID_ARGUMENT' });
      });
    });
  });

  describe('given changed settings', () => {
    const given = [changed({ upstreamAllowedHosts: ['a.example'], logMaxRows: 10 })];

    it('folds the changes over the defaults', () => {
      expect(spec.given(...given).state()).toEqual({
        ...DEFAULT_SETTINGS,
        upstreamAllowedHosts: ['a.example'],
        logMaxRows: 10,
      });
    });

    it('compares the host list by value', () => {
      expect(spec.given(...given).when(change({ upstreamAllowedHosts: ['a.example'] }))).toEqual({ events: [] });
    });

    it('changes back to a default', () => {
      expect(spec.given(...given).when(change({ upstreamAllowedHosts: [] }))).toEqual({
        events: [changed({ upstreamAllowedHosts: [] })],
      });
    });
  });
});
