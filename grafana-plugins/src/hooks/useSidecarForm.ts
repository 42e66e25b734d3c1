import { useState } from 'react';
import { LookoutApiError } from '../api';
import { fieldErrorsOf } from '../data/diagnostics';

export interface SidecarForm<V> {
  values: V;
  set: (patch: Partial<V>) => void;
  /** Messages per field, from a required field left empty or from the sidecar's 400 field paths. */
  errors: Record<string, string>;
  /** What went wrong that names no field. */
  failure?: string;
  busy: boolean;
  /**
   * Saves with `save` unless the title is empty. A 400 puts the sidecar's field errors (`body.title` → `title`)
   * next to their fields; any other refusal becomes `failure`. Resolves true once saved.
   */
  submit: (save: (values: V) => Promise<void>) => Promise<boolean>;
}

/** The state of a create/edit form whose fields the sidecar validates (diagnostics, tasks). */
export function useSidecarForm<V extends { title: string }>(initial: V): SidecarForm<V> {
  const [values, setValues] = useState<V>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<V>): void => setValues((v) => ({ ...v, ...patch }));
  const submit = async (save: (values: V) => Promise<void>): Promise<boolean> => {
    setFailure(undefined);
    if (!values.title.trim()) {
      setErrors({ title: 'A title is required' });
      return false;
    }
    setErrors({});
    setBusy(true);
    try {
      await save(values);
      return true;
    } catch (err) {
      setBusy(false);
      if (err instanceof LookoutApiError && err.status === 400) {
        const { '': general, ...fields } = fieldErrorsOf(err.details);
        setErrors(fields);
        setFailure(general ?? (Object.keys(fields).length ? undefined : err.message));
        return false;
      }
      setFailure((err as Error).message);
      return false;
    }
  };
  return { values, set, errors, failure, busy, submit };
}
