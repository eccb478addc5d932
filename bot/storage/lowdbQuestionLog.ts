import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { AnswerFeedback, QuestionLog, QuestionReportRow, UnansweredQuestion } from '../../dialogs/ports.js';

/** The question log's lowdb document. */
export interface QuestionLogData {
  unanswered: UnansweredQuestion[];
  feedback: AnswerFeedback[];
}

/** Unanswered questions and answer feedback in one lowdb document, kept for `retentionDays`. */
export class LowdbQuestionLog implements QuestionLog {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Low<QuestionLogData>,
    private readonly retentionDays: number,
    private readonly now: () => Date,
  ) {}

  recordUnanswered(entry: UnansweredQuestion): Promise<void> {
    return this.change((data) => data.unanswered.push(entry));
  }

  recordFeedback(entry: AnswerFeedback): Promise<void> {
    return this.change((data) => data.feedback.push(entry));
  }

  async report(): Promise<QuestionReportRow[]> {
    await this.tail;
    return buildReport(this.db.data);
  }

  /** Resolves when every queued write has reached the file. */
  flush(): Promise<void> {
    return this.tail;
  }

  // One write at a time: lowdb rewrites the whole file, and old entries are pruned on the way.
  private change(mutate: (data: QuestionLogData) => void): Promise<void> {
    const run = this.tail.then(async () => {
      const before = structuredClone(this.db.data);
      mutate(this.db.data);
      const cutoff = new Date(this.now().getTime() - this.retentionDays * 86_400_000).toISOString();
      this.db.data.unanswered = this.db.data.unanswered.filter((e) => e.at >= cutoff);
      this.db.data.feedback = this.db.data.feedback.filter((e) => e.at >= cutoff);
      try {
        await this.db.write();
      } catch (error) {
        this.db.data = before;
        throw error;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** Opens (creating if needed) the question log file. */
export async function openLowdbQuestionLog(file: string, retentionDays: number, now: () => Date): Promise<LowdbQuestionLog> {
  await mkdir(path.dirname(file), { recursive: true });
  const db = new Low<QuestionLogData>(new JSONFile(file), { unanswered: [], feedback: [] });
  await db.read();
  db.data.unanswered ??= [];
  db.data.feedback ??= [];
  return new LowdbQuestionLog(db, retentionDays, now);
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
