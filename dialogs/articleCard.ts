import type { AnswerCardData } from '../cards/answerCards.js';
import type { AnswerRenderer } from '../knowledge/answers.js';
import type { Article } from '../knowledge/articles.js';
import type { Area } from '../knowledge/workplace.js';
import type { UserProfile } from './userProfile.js';

/** The part of an answer card that is the article itself, as this reader sees it. */
export type ArticleAnswer = Pick<AnswerCardData, 'id' | 'title' | 'answer' | 'regional' | 'areaUnknown' | 'sourceLine'>;

/**
 * An article's answer rendered for the reader's workplace, or for an area their question names when the workplace is
 * unknown. The card offers to ask their area only when the answer differs by area and no workplace is saved.
 */
export function articleAnswer(answers: AnswerRenderer, article: Article, profile: UserProfile, namedArea?: Area): ArticleAnswer {
  const rendered = answers.render(article, { workplace: profile.workplace, namedArea });
  return {
    id: article.id,
    title: article.title,
    answer: rendered.text,
    regional: rendered.regional,
    areaUnknown: rendered.areaUnknown && !profile.workplace,
    sourceLine: rendered.sourceLine,
  };
}
