// What write() checks a batch against: each group's shape (first and last
// index, term and vote) once every write accepted so far is applied,
// including writes still waiting for their group commit. A batch that would
// leave a gap in a log, append below its first index (an empty log's next
// entry is at its first index; a Reset moves it), or move a hard state
// backwards is refused with InvalidArgument before anything reaches the
// disk, so every batch in the log applies cleanly at recovery.

import { InvalidArgument } from '@strata/engine';
import { ItemKind } from '../format/format.js';
import type { Item } from '../format/log-batch.js';

export interface Shape {
  /** First index held, or where the next append starts when the log is empty (last < first). */
  first: number;
  last: number;
  term: number;
  vote: number;
}

export function emptyShape(): Shape {
  return { first: 1, last: 0, term: 0, vote: 0 };
}

/** Checks `item` against `s` (its group's shape) and moves `s` past it. */
export function acceptItem(s: Shape, item: Item): void {
  const g = item.group;
  switch (item.kind) {
    case ItemKind.Append: {
      const first = item.firstIndex;
      const n = item.terms.length;
      if (first > s.last + 1) throw new InvalidArgument(`group ${g}: append at ${first} leaves a gap after the last index ${s.last}`);
      if (first < s.first) throw new InvalidArgument(`group ${g}: append at ${first} is below the first index ${s.first}`);
      s.last = first + n - 1;
      break;
    }
    case ItemKind.Truncate:
      if (item.from <= s.last) s.last = Math.max(s.first, item.from) - 1;
      break;
    case ItemKind.CompactTo:
      if (item.index > s.first) {
        s.first = item.index;
        if (s.last < s.first) s.last = s.first - 1;
      }
      break;
    case ItemKind.Reset:
      s.first = item.index;
      s.last = item.index - 1;
      break;
    case ItemKind.HardState: {
      const { term, vote } = item.state;
      if (term < s.term) throw new InvalidArgument(`group ${g}: hard state term ${term} is below the term ${s.term} already written`);
      if (term === s.term && s.vote !== 0 && vote !== s.vote) throw new InvalidArgument(`group ${g}: term ${term} already has a vote for ${s.vote}, not ${vote}`);
      s.term = term;
      s.vote = vote;
      break;
    }
    case ItemKind.Put:
    case ItemKind.Delete:
      break;
  }
}
