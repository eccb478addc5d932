import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { sendCard } from './cardReply.js';
import { renderAnswerCard, renderClarifyCard, renderNotFoundCard } from '../cards/answerCards.js';
import type { Submission } from '../cards/submission.js';
import type { AnswerRenderer } from '../knowledge/answers.js';
import type { Article, FlowId } from '../knowledge/articles.js';
import { mentionsSecret, redact } from '../knowledge/privacy.js';
import type { KnowledgeBase } from '../knowledge/search.js';
import { areaNamedIn } from '../knowledge/workplace.js';
import { articleAnswer } from './articleCard.js';
import { localContacts, type LocalContactsDeps } from './localContacts.js';
import { recordOutcome } from './outcome.js';
import { turnLogger, type Clock, type Logger, type QuestionLog } from './ports.js';
import type { UserProfile } from './userProfile.js';

/** What the FAQ needs from the composition root. */
export interface FaqDeps extends LocalContactsDeps {
  readonly kb: KnowledgeBase;
  readonly answers: AnswerRenderer;
  readonly questionLog: QuestionLog;
  readonly profile: StatePropertyAccessor<UserProfile>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The card buttons the FAQ answers. */
export type FaqSubmission = Extract<Submission, { verb: 'faq.open' | 'faq.none' | 'feedback.rate' }>;

/** The FAQ's decision for a question: a flow to start (when one is registered for the article), or replies sent. */
export type FaqAnswer = { readonly kind: 'flow'; readonly flow: FlowId } | { readonly kind: 'sent' };

const secretWarning =
  "Please don't type passcodes or unlock codes here, or share them with anyone: nobody, including the RA team, will ever ask for them. " +
  "I haven't kept your message. If someone may have seen your passcode, change it.";

/** Answers questions from the knowledge base, asks "did you mean" when unsure, and says so when it does not know. */
export class Faq {
  constructor(
    private readonly deps: FaqDeps,
    private readonly flows: ReadonlyMap<FlowId, { readonly title: string; readonly startsFrom: (words: string) => boolean }>,
    /** Request forms by id, for answers that offer one. */
    private readonly forms: ReadonlyMap<string, { readonly title: string; readonly command: string }> = new Map(),
  ) {}

  /** Answers a typed question; returns the flow to start when a guided flow handles the matched article. */
  async ask(context: TurnContext, text: string): Promise<FaqAnswer> {
    if (mentionsSecret(text)) await context.sendActivity(secretWarning);
    const question = redact(text);
    const result = this.deps.kb.search(question);
    const log = turnLogger(context, this.deps.logger);
    log.debug({ kind: result.kind, confidence: result.confidence }, 'faq search');
    if (result.kind === 'answer') {
      const flow = result.best.article.flow;
      // A question that describes the user's situation starts the flow there; a plain question gets the article, with the flow offered.
      if (flow && this.flows.get(flow)?.startsFrom(question)) {
        recordOutcome(context, { kind: 'flow', id: flow, title: result.best.article.title, confidence: result.confidence, suggestions: [] });
        return { kind: 'flow', flow };
      }
      await this.sendAnswer(context, result.best.article, question, result.confidence);
      return { kind: 'sent' };
    }
    if (result.kind === 'clarify') {
      const candidates = result.candidates.map((h) => ({ id: h.article.id, title: h.article.title }));
      await sendCard(
        context,
        renderClarifyCard({
          heading: 'Did you mean one of these?',
          detail: "I'm not sure which answer you need. Choose one, or ask again in other words.",
          question,
          candidates,
        }),
      );
      recordOutcome(context, { kind: 'clarify', id: null, title: null, confidence: result.confidence, suggestions: candidates.map((c) => c.id) });
      return { kind: 'sent' };
    }
    await this.notFound(context, question, result.confidence);
    return { kind: 'sent' };
  }

  /** Invites a question, with the most common ones as buttons. */
  async invite(context: TurnContext): Promise<void> {
    await sendCard(
      context,
      renderClarifyCard({
        heading: 'Ask me about smartcards',
        detail: 'Type your question in your own words, for example "my card is locked" or "how do I get SCR access". Or choose a common one:',
        question: '',
        candidates: this.deps.kb.common().map((a) => ({ id: a.id, title: a.title })),
      }),
    );
  }

  /** Answer cards for the compose-box search: the best matches, or the common questions when nothing is typed yet. */
  async composeResults(context: TurnContext, query: string): Promise<{ title: string; snippet: string; card: object }[]> {
    const profile = await this.deps.profile.get(context, {});
    const text = redact(query.trim());
    const articles = text === '' ? this.deps.kb.common() : this.deps.kb.lookup(text, 8).map((h) => h.article);
    return articles.map((article) => {
      const rendered = this.deps.answers.render(article, { workplace: profile.workplace, namedArea: areaNamedIn(text) });
      const card = renderAnswerCard({
        id: article.id,
        title: article.title,
        answer: rendered.text,
        regional: rendered.regional,
        areaUnknown: false,
        sourceLine: rendered.sourceLine,
        followUps: [],
        question: '',
        feedback: false,
        walkThrough: [],
      });
      return { title: article.title, snippet: snippet(rendered.text), card };
    });
  }

  /** Handles the FAQ's own card buttons: an article chosen, "none of these", or feedback. */
  async onCard(context: TurnContext, submission: FaqSubmission): Promise<void> {
    switch (submission.verb) {
      case 'faq.open': {
        const article = this.deps.kb.get(submission.article);
        if (!article) {
          await context.sendActivity("That answer has been removed or renamed since the card was sent. Please ask your question again.");
          return;
        }
        await this.sendAnswer(context, article, redact(submission.question ?? ''), 1);
        return;
      }
      case 'faq.none':
        await this.notFound(context, redact(submission.question), 0);
        return;
      case 'feedback.rate':
        await this.feedback(context, submission);
        return;
    }
  }

  private async sendAnswer(context: TurnContext, article: Article, question: string, confidence: number): Promise<void> {
    const profile = await this.deps.profile.get(context, {});
    const followUps = article.followUps.flatMap((id) => {
      const next = this.deps.kb.get(id);
      return next ? [{ id: next.id, title: next.title }] : [];
    });
    await sendCard(
      context,
      renderAnswerCard({
        ...articleAnswer(this.deps.answers, article, profile, areaNamedIn(question)),
        followUps,
        question,
        feedback: true,
        walkThrough: this.walkThrough(article),
        request: [article.form && this.forms.get(article.form)].flatMap((offer) => (offer ? [{ id: offer.command, title: offer.title }] : [])),
        local: await localContacts(this.deps, context, article.contacts),
      }),
    );
    recordOutcome(context, { kind: 'answer', id: article.id, title: article.title, confidence, suggestions: followUps.map((f) => f.id) });
  }

  /** The guided flow an article offers as a button, when that flow is registered. */
  private walkThrough(article: Article): { id: string; title: string }[] {
    const flow = article.flow ? this.flows.get(article.flow) : undefined;
    return article.flow && flow ? [{ id: `flow.${article.flow}`, title: flow.title }] : [];
  }

  private async notFound(context: TurnContext, question: string, confidence: number): Promise<void> {
    const profile = await this.deps.profile.get(context, {});
    const noted = question.trim() !== '' && (await this.store(context, () => this.deps.questionLog.recordUnanswered({ question, at: this.now() })));
    await sendCard(
      context,
      renderNotFoundCard({
        heading: "I don't know that one yet",
        detail: 'I only answer questions about NHS smartcards from the RA teams\' guidance, and I could not find an answer to that.',
        contact: this.deps.answers.myContact({ workplace: profile.workplace, namedArea: areaNamedIn(question) }),
        noted,
        askWorkplace: !profile.workplace,
      }),
    );
    recordOutcome(context, { kind: 'none', id: null, title: null, confidence, suggestions: [] });
  }

  private async feedback(context: TurnContext, rating: Extract<Submission, { verb: 'feedback.rate' }>): Promise<void> {
    const article = this.deps.kb.get(rating.article);
    if (!article) {
      await context.sendActivity("Thanks, but that answer has since been removed, so I couldn't record your rating.");
      return;
    }
    const comment = rating.comment?.trim() ? redact(rating.comment.trim()) : undefined;
    const saved = await this.store(context, () =>
      this.deps.questionLog.recordFeedback({
        articleId: article.id,
        helpful: rating.helpful,
        question: rating.question ? redact(rating.question) : undefined,
        comment,
        at: this.now(),
      }),
    );
    if (!saved) {
      await context.sendActivity("Sorry, I couldn't save your feedback just now. Please try the button again in a minute.");
      return;
    }
    await context.sendActivity(
      rating.helpful
        ? 'Thanks for letting me know.'
        : `Thanks, I've passed that on to the RA team so they can improve the answer. If you still need help, contact ${this.deps.answers.myContact({ workplace: (await this.deps.profile.get(context, {})).workplace })}.`,
    );
  }

  /** Runs a store write; a failure is logged and reported as false, never as saved. */
  private async store(context: TurnContext, write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ err: error }, 'question log write failed');
      return false;
    }
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/** The first sentence or so of an answer, without markdown, for a search result's preview. */
function snippet(text: string): string {
  const plain = text.replace(/\*\*|__|`/g, '').replace(/\s+/g, ' ').trim();
  return plain.length <= 140 ? plain : `${plain.slice(0, 137).replace(/\s+\S*$/, '')}...`;
}
