import type { Article } from './articles.js';
import type { RaTeam, RaTeamDirectory } from './raTeams.js';
import type { SourceCatalogue } from './sources.js';
import { areaOptions, areaTitle, type Area, type WorkplaceKind } from './workplace.js';
import { longDay } from './londonTime.js';

/** What the reader's answer depends on: where they work, when known, and the configured team emails. */
export interface AnswerContext {
  readonly workplace?: { readonly kind: WorkplaceKind; readonly area: Area } | undefined;
  /** An area the question itself names ("pharmacy in Southampton"), used when the workplace is unknown. */
  readonly namedArea?: Area | undefined;
}

/** An article's answer ready to show: placeholders filled and the right regional parts chosen. */
export interface RenderedAnswer {
  readonly text: string;
  /** Each area's part when the area is unknown, or the one part for the reader's area. */
  readonly regional: readonly { readonly area: string; readonly text: string }[];
  /** True when the answer differs by area and the reader's area is unknown, so they may be asked. */
  readonly areaUnknown: boolean;
  readonly sourceLine: string;
}

/** Fills articles' contact placeholders and picks regional parts, from the RA team file and configuration. */
export class AnswerRenderer {
  /** Each article's source line, made on first use: it depends only on the article, and dates are slow to format. */
  readonly #sourceLines = new WeakMap<Article, string>();

  constructor(
    private readonly teams: RaTeamDirectory,
    private readonly emails: ReadonlyMap<string, string>,
    private readonly sources: SourceCatalogue,
  ) {}

  render(article: Article, context: AnswerContext): RenderedAnswer {
    const area = context.workplace?.area ?? context.namedArea;
    const parts = article.regional ?? {};
    // A reader whose area is known gets that area's part or none: another area's rules (and team) are not theirs.
    const own = area === undefined ? undefined : parts[area];
    const regional =
      area === undefined
        ? areaOptions.flatMap((o) => (parts[o.value] ? [{ area: o.title, text: this.fill(parts[o.value] ?? '', context) }] : []))
        : own === undefined
          ? []
          : [{ area: areaTitle(area), text: this.fill(own, context) }];
    return {
      text: this.fill(article.answer, context),
      regional,
      areaUnknown: area === undefined && regional.length > 0,
      sourceLine: this.sourceLine(article),
    };
  }

  /** "From <page> and <page>, reviewed <date>." */
  sourceLine(article: Article): string {
    const known = this.#sourceLines.get(article);
    if (known !== undefined) return known;
    const titles = article.sources.map((ref) => (typeof ref === 'string' ? this.sources.title(ref) : ref.title));
    const list = titles.length <= 1 ? titles.join('') : `${titles.slice(0, -1).join(', ')} and ${titles.at(-1) ?? ''}`;
    const line = `From ${list}, reviewed ${longDay(article.reviewed)}.`;
    this.#sourceLines.set(article, line);
    return line;
  }

  /** One team's phone, with its email when configured. */
  contact(team: RaTeam): string {
    const email = this.emails.get(team.id);
    return email ? `${team.phone} or ${email}` : team.phone;
  }

  /** The reader's own RA team and how to reach it, or every team's when their workplace is unknown. */
  myContact(context: AnswerContext): string {
    if (context.workplace) {
      const match = this.teams.forWorkplace(context.workplace.kind, context.workplace.area);
      return match.kind === 'team' ? `${match.team.name} (${this.contact(match.team)})` : match.fallback.inSentence;
    }
    const named = context.namedArea ? this.teams.teams.filter((t) => t.covers.some((c) => c.area === context.namedArea)) : [];
    const teams = named.length > 0 ? named : this.teams.teams;
    return teams.map((t) => `${t.name} (${t.inBrief}): ${this.contact(t)}`).join('; ');
  }

  /** Fills contact placeholders in any text (articles, flow steps). */
  fill(text: string, context: AnswerContext): string {
    return text
      .replace(/\{\{\s*([a-z0-9-]+)\.([a-z]+)\s*\}\}/g, (whole, teamId: string, field: string) => {
        if (teamId === 'my') return field === 'name' ? this.myName(context) : this.myContact(context);
        const team = this.teams.teams.find((t) => t.id === teamId);
        if (!team) return whole;
        if (field === 'name') return team.name;
        if (field === 'phone') return team.phone;
        if (field === 'offices') return team.offices.join(' and ');
        return this.contact(team);
      })
      .trim();
  }

  private myName(context: AnswerContext): string {
    if (!context.workplace) return 'your RA team';
    const match = this.teams.forWorkplace(context.workplace.kind, context.workplace.area);
    return match.kind === 'team' ? match.team.name : 'your local RA team';
  }
}

