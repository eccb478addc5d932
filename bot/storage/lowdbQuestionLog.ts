import type { Adapter } from 'lowdb';
import { LowdbDocument } from './lowdbDocument.js';
import type { AnswerFeedback, QuestionLog, QuestionReportRow, UnansweredQuestion } from '../../dialogs/ports.js';

/** The question log's lowdb document. */
export interface QuestionLogData {
  unanswered: UnansweredQuestion[];
  feedback: AnswerFeedback[];
}

/** Unanswered questions and answer feedback in one lowdb document, kept for `retentionDays`. */
export class LowdbQuestionLog implements QuestionLog {
  constructor(
    private readonly document: LowdbDocument<QuestionLogData>,
    private readonly retentionDays: number,
    private readonly now: () => Date,
  ) {}

  /** A log that lives only in memory: the command line's throwaway runs and tests. */
  static inMemory(retentionDays: number, now: () => Date, adapter?: Adapter<QuestionLogData>): LowdbQuestionLog {
    return new LowdbQuestionLog(LowdbDocument.inMemory<QuestionLogData>(empty(), withLists, adapter), retentionDays, now);
  }

  recordUnanswered(entry: UnansweredQuestion): Promise<void> {
    return this.change((data) => data.unanswered.push(entry));
  }

  recordFeedback(entry: AnswerFeedback): Promise<void> {
    return this.change((data) => data.feedback.push(entry));
  }

  report(): Promise<QuestionReportRow[]> {
    return this.document.read(buildReport);
  }

  /** Resolves when every queued write has reached the file. */
  flush(): Promise<void> {
    return this.document.flush();
  }

  // Old entries are pruned on the way, so the file never holds more than the retention period.
  private async change(mutate: (data: QuestionLogData) => void): Promise<void> {
    const cutoff = new Date(this.now().getTime() - this.retentionDays * 86_400_000).toISOString();
    await this.document.change((data) => {
      mutate(data);
      data.unanswered = data.unanswered.filter((e) => e.at >= cutoff);
      data.feedback = data.feedback.filter((e) => e.at >= cutoff);
    });
  }
}

/** Opens (creating if needed) the question log file. */
export async function openLowdbQuestionLog(file: string, retentionDays: number, now: () => Date): Promise<LowdbQuestionLog> {
  return new LowdbQuestionLog(await LowdbDocument.open<QuestionLogData>(file, empty(), withLists), retentionDays, now);
}

function empty(): QuestionLogData {
  return { unanswered: [], feedback: [] };
}

// Files from before a list existed get it empty; a list that is something else is not a question log.
function withLists(data: QuestionLogData): QuestionLogData {
  data.unanswered ??= [];
  data.feedback ??= [];
  if (!Array.isArray(data.unanswered) || !Array.isArray(data.feedback)) throw new Error('it is not a question log: "unanswered" and "feedback" must be lists');
  return data;
}

/** Groups the log into report rows: same question (case and spacing folded) or same article; newest first. */
export function buildReport(data: QuestionLogData): QuestionReportRow[] {
  const rows = new Map<string, { kind: QuestionReportRow['kind']; subject: string; count: number; lastAt: string; details: { at: string; text: string }[] }>();
  const add = (kind: QuestionReportRow['kind'], key: string, subject: string, at: string, detail?: string) => {
    const row = rows.get(`${kind}:${key}`) ?? { kind, subject, count: 0, lastAt: at, details: [] };
    row.count++;
    // The newest wording stands for the group.
    if (at >= row.lastAt) {
      row.lastAt = at;
      row.subject = subject;
    }
    if (detail) row.details.push({ at, text: detail });
    rows.set(`${kind}:${key}`, row);
  };
  for (const q of data.unanswered) add('unanswered', q.question.toLowerCase().replace(/\s+/g, ' ').trim(), q.question, q.at);
  for (const f of data.feedback) {
    if (f.helpful) continue;
    const detail = [f.question ? `asked "${f.question}"` : '', f.comment ? `said "${f.comment}"` : ''].filter(Boolean).join(', ');
    add('unhelpful', f.articleId, f.articleId, f.at, detail || undefined);
  }
  return [...rows.values()]
    .map((r) => ({ ...r, details: r.details.sort((a, b) => b.at.localeCompare(a.at)).map((d) => d.text) }))
    .sort((a, b) => b.lastAt.localeCompare(a.lastAt) || b.count - a.count);
}
