import { GatewayError } from './gateway_error';

export interface TppMessage {
  category: 'ERROR' | 'WARNING';
  code: string;
  path?: string;
  text?: string;
}

export interface TppMessagesBody {
  tppMessages: TppMessage[];
}

/** The Berlin Group wire form of a refusal. */
export function toTppMessages(error: GatewayError): TppMessagesBody {
  const message: TppMessage = { category: 'ERROR', code: error.code };
  if (error.path !== undefined) message.path = error.path;
  message.text = error.text;
  return { tppMessages: [message] };
}

export const TPP_MESSAGES_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The refusal's bytes, for writing without express. */
export function tppMessagesBody(error: GatewayError): Buffer {
  return Buffer.from(JSON.stringify(toTppMessages(error)));
}

/** The code of the first tppMessage in a response body, if it is one (for the access log and metrics). */
export function firstTppMessageCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('tppMessages' in body)) return undefined;
  const messages = (body as { tppMessages?: unknown }).tppMessages;
  const first: unknown = Array.isArray(messages) ? messages[0] : undefined;
  const code = typeof first === 'object' && first !== null ? (first as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
