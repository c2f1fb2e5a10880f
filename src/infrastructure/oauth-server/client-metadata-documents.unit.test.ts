import { ConfigError, loadConfig } from '../config/config';
import { clientMetadataDocumentsFeature } from './client-metadata-documents';

describe('GATEHOUSE_OAUTH_CLIENT_METADATA', () => {
  it('is on by default, and turns the provider feature on or off', () => {
    expect(loadConfig({}).oauthClientMetadata).toBe('on');
    expect(loadConfig({ GATEHOUSE_OAUTH_CLIENT_METADATA: 'off' }).oauthClientMetadata).toBe('off');
    expect(loadConfig({ GATEHOUSE_OAUTH_CLIENT_METADATA: 'loopback' }).oauthClientMetadata).toBe('loopback');
    expect(clientMetadataDocumentsFeature('on').enabled).toBe(true);
    expect(clientMetadataDocumentsFeature('loopback').enabled).toBe(true);
    expect(clientMetadataDocumentsFeature('off').enabled).toBe(false);
  });

  it('refuses anything else at start', () => {
    expect(() => loadConfig({ GATEHOUSE_OAUTH_CLIENT_METADATA: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ GATEHOUSE_OAUTH_CLIENT_METADATA: 'LOOPBACK' })).toThrow(/on, off, loopback/);
  });

  it('fetches no client id longer than 512 characters', async () => {
    const { allowFetch } = clientMetadataDocumentsFeature('on');
    expect(await allowFetch(undefined, `https://client.example/${'a'.repeat(400)}`)).toBe(true);
    expect(await allowFetch(undefined, `https://client.example/${'a'.repeat(500)}`)).toBe(false);
  });
});
