import template from './templates/broadcastReport.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

/** What the delivery report card shows, already worded. */
export interface BroadcastReportCardData {
  /** The broadcast's id, carried by the buttons. */
  readonly id: string;
  readonly title: string;
  /** "Sending: 120 of 400 done", "Finished", "Cancelled". */
  readonly status: string;
  readonly statusColor: 'Default' | 'Good' | 'Warning' | 'Attention';
  readonly facts: readonly { readonly title: string; readonly value: string }[];
  readonly notes: readonly string[];
  /** Still sending: offers Cancel. */
  readonly running: boolean;
}

/** A broadcast's delivery report, for its author; updated in place while it runs. */
export function renderBroadcastReportCard(data: BroadcastReportCardData): AdaptiveCardJson {
  return bindTemplate(template, data);
}
