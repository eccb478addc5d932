import { CardFactory, MessageFactory, type Activity, type TurnContext } from 'botbuilder';

/** A message carrying one Adaptive Card. */
export function cardActivity(card: object): Partial<Activity> {
  return MessageFactory.attachment(CardFactory.adaptiveCard(card));
}

/** Replies in this turn with one Adaptive Card. */
export async function sendCard(context: TurnContext, card: object): Promise<void> {
  await context.sendActivity(cardActivity(card));
}
