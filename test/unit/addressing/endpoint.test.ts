import { describe, expect, it } from 'vitest';
import { MAX_ENDPOINT_NAME_LENGTH, parseEndpointName } from '../../../src/addressing/endpoint.js';

describe('parseEndpointName', () => {
  it.each([
    ['ci', 'ci'],
    ['alerts', 'alerts'],
    ['CI', 'ci'],
    ['Build-Alerts', 'build-alerts'],
    ['  deploy  ', 'deploy'],
    ['team.ops_2', 'team.ops_2'],
    ['0day', '0day'],
    ['a', 'a'],
    ['a.', 'a.'],
    ['a--b__c..d', 'a--b__c..d'],
    ['x'.repeat(MAX_ENDPOINT_NAME_LENGTH), 'x'.repeat(64)],
  ])('%j -> %j', (input, name) => {
    expect(parseEndpointName(input)).toEqual({ ok: true, name });
  });

  const ONLY = (found: string): string => `an endpoint name may only contain a-z, 0-9, ".", "_" and "-" (found ${JSON.stringify(found)})`;
  it.each([
    ['', 'an endpoint name cannot be empty'],
    ['   ', 'an endpoint name cannot be empty'],
    ['x'.repeat(65), 'an endpoint name cannot be longer than 64 characters'],
    ['_private', 'an endpoint name must start with a letter or a digit'],
    ['-ci', 'an endpoint name must start with a letter or a digit'],
    ['.', 'an endpoint name must start with a letter or a digit'],
    ['..', 'an endpoint name must start with a letter or a digit'],
    ['.hidden', 'an endpoint name must start with a letter or a digit'],
    ['a/b', ONLY('/')],
    ['a b', ONLY(' ')],
    ['a@b', ONLY('@')],
    ['a:b', ONLY(':')],
    ['a+b', ONLY('+')],
    ['a%2fb', ONLY('%')],
    ['a\\40b', ONLY('\\')],
    ['café', ONLY('é')],
    ['\u212a8s', ONLY('\u212a')], // KELVIN SIGN would lower-case to ASCII 'k'
    ['a\nb', ONLY('\n')],
  ])('%j: %s', (input, reason) => {
    expect(parseEndpointName(input)).toEqual({ ok: false, reason });
  });
});
