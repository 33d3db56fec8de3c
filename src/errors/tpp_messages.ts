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
