/** WHERE clauses and their arguments, collected from a query's optional filters. */
export class SqlFilter {
  private readonly clauses: string[] = [];
  readonly args: unknown[] = [];

  /** `column IN (?, …)` when `values` has any. */
  in(column: string, values: readonly unknown[] | undefined): this {
    if (values?.length) {
      this.clauses.push(`${column} IN (${values.map(() => '?').join(',')})`);
      this.args.push(...values);
    }
    return this;
  }

  /** `clause` (one `?`) with `value` when a value is given: an empty string counts as none. */
  when(value: string | number | undefined, clause: string): this {
    if (value !== undefined && value !== '') {
      this.clauses.push(clause);
      this.args.push(value);
    }
    return this;
  }

  /** `WHERE a AND b`, or '' when no filter applies. */
  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}
