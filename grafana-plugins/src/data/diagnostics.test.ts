import { makeDiagnostic } from '../test/fixtures';
import {
  csv,
  DEFAULT_FILTERS,
  describeInvalidTransition,
  EMPTY_FORM,
  fieldErrorsOf,
  formValuesOf,
  patchOf,
  toListQuery,
} from './diagnostics';

describe('diagnostics transforms', () => {
  it('builds the list query without empty filters', () => {
    expect(toListQuery(DEFAULT_FILTERS)).toEqual({
      status: 'open,in_progress',
      severity: undefined,
      assignee: undefined,
      unassigned: undefined,
      tag: undefined,
      overdue: undefined,
      q: undefined,
      sort: 'created_at',
      order: 'desc',
      cursor: undefined,
      limit: 50,
    });
    expect(
      toListQuery({ ...DEFAULT_FILTERS, status: '', tag: ' db , ,disk', overdue: true, q: '  x ' }, 'c1', 10)
    ).toMatchObject({ status: undefined, tag: 'db,disk', overdue: 'true', q: 'x', cursor: 'c1', limit: 10 });
    expect(csv(' , ')).toBeUndefined();
  });

  it('maps 400 details to form fields', () => {
    expect(
      fieldErrorsOf([
        { path: 'body.title', message: 'Too small', code: 'too_small' },
        { path: 'body.tags.1', message: 'bad tag', code: 'invalid_format' },
        { path: 'body.tags.3', message: 'bad tag too', code: 'invalid_format' },
        { path: 'body', message: 'Unrecognized key: "status"', code: 'unrecognized_keys' },
      ])
    ).toEqual({ title: 'Too small', tags: 'bad tag; bad tag too', '': 'Unrecognized key: "status"' });
    expect(fieldErrorsOf(undefined)).toEqual({});
  });

  it('makes a PATCH of what changed, clearing with null', () => {
    const before = formValuesOf(makeDiagnostic('D-1', { assignee: 'alice', tags: ['a', 'b'] }));
    expect(patchOf(before, { ...before, tags: ['b', 'a'] })).toEqual({});
    expect(patchOf(before, { ...before, assignee: ' ', component: 'db', tags: ['a'] })).toEqual({
      assignee: null,
      component: 'db',
      tags: ['a'],
    });
    expect(patchOf(EMPTY_FORM, { ...EMPTY_FORM, title: ' New ' })).toEqual({ title: 'New' });
  });

  it('explains a refused transition', () => {
    expect(
      describeInvalidTransition({ from: 'open', to: 'open', allowed: ['in_progress', 'resolved'], reopen: false })
    ).toBe('Open → Open is not allowed. Allowed from Open: In progress, Resolved.');
  });
});
