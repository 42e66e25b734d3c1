import type { ClassifierName } from './classifiers/classifier';
import { LINEAGE_FILE } from './classifiers/lineage-classifier';
import { parseCalibrationPath } from './classifiers/calibration-classifier';

/** The sub-folders worth walking and watching; everything else under the root is not ours. */
export const CLASSIFIER_FOLDERS: readonly ClassifierName[] = ['activity', 'lineage', 'calibration', 'telemetry'];

/** Which classifier owns a relative path, or null when none does (the file is not ingested). */
export function classifierFor(relPath: string): ClassifierName | null {
  const slash = relPath.indexOf('/');
  if (slash <= 0) return null;
  switch (relPath.slice(0, slash)) {
    case 'activity':
      return 'activity';
    case 'lineage':
      return relPath === LINEAGE_FILE ? 'lineage' : null;
    case 'calibration':
      return parseCalibrationPath(relPath) ? 'calibration' : null;
    case 'telemetry':
      return /\.json$/i.test(relPath) ? 'telemetry' : null;
    default:
      return null;
  }
}
