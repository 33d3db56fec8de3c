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
