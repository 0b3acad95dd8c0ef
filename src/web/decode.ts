import type { RequestHandler } from 'express';
import { inputProblem, problemMessage } from '../http/decode.js';
import { sendErrorPage } from './errors.js';

/**
 * The sign-in forms' decode step (issue 13): a form field PostgreSQL cannot store (a NUL, sent as
 * %00) is refused with a 400 page naming the field, before the sign-in looks anything up. A form
 * cannot carry a lone surrogate (invalid UTF-8 decodes to U+FFFD), JSON could: the check is the
 * same. Mounted by http/app.ts after the form is parsed.
 */
export const decodeWebForm: RequestHandler = (req, res, next) => {
  const problem = inputProblem(req.body) ?? inputProblem(req.query);
  if (problem) return sendErrorPage(res, 400, 'Not accepted', problemMessage(problem));
  next();
};
