import type { SelectableValue } from '@grafana/data';

/**
 * Options for `addMultiSelect` on a `string[]` option. Grafana types each option's value as the whole option type
 * (`string[]`) although the editor stores one value per entry, hence the cast.
 */
export function multiSelectOptions<T extends string>(values: readonly T[]): Array<SelectableValue<T[]>> {
  return values.map((v) => ({ label: v, value: v })) as unknown as Array<SelectableValue<T[]>>;
}
