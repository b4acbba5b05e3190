/** Why a metric was refused: each is a programming mistake, caught by the module's tests. */
export enum MetricsErrorCode {
  /** A module name that is not lower-case letters and digits. */
  INVALID_MODULE = "METRICS_ERROR_INVALID_MODULE",
  /** A name that breaks `olnode_<module>_<what>_<unit>`. */
  INVALID_NAME = "METRICS_ERROR_INVALID_NAME",
  /** A name already registered. */
  DUPLICATE_NAME = "METRICS_ERROR_DUPLICATE_NAME",
  /** A label without a bounded list of allowed values, or with a bad name. */
  INVALID_LABEL = "METRICS_ERROR_INVALID_LABEL",
  /** A label value outside the label's allowed values (or a label missing). */
  LABEL_VALUE_NOT_ALLOWED = "METRICS_ERROR_LABEL_VALUE_NOT_ALLOWED",
}

/** The code of a {@link MetricsError} with its context. */
export type MetricsErrorType =
  | { code: MetricsErrorCode.INVALID_MODULE; module: string }
  | { code: MetricsErrorCode.INVALID_NAME; name: string; problem: string }
  | { code: MetricsErrorCode.DUPLICATE_NAME; name: string }
  | { code: MetricsErrorCode.INVALID_LABEL; name: string; label: string; problem: string }
  | { code: MetricsErrorCode.LABEL_VALUE_NOT_ALLOWED; name: string; label: string; value: string; allowed: string[] };

/** A metric that breaks the naming rule or the label bounds, in Lodestar's shape (code with its context). */
export class MetricsError extends Error {
  /** The code and its context. */
  readonly type: MetricsErrorType;

  /** @param type the code and its context */
  constructor(type: MetricsErrorType) {
    super(describeMetricsError(type));
    this.name = "MetricsError";
    this.type = type;
  }
}

function describeMetricsError(type: MetricsErrorType): string {
  switch (type.code) {
    case MetricsErrorCode.INVALID_MODULE:
      return `expected a module name of lower-case letters and digits, found ${JSON.stringify(type.module)}`;
    case MetricsErrorCode.INVALID_NAME:
      return `metric ${type.name}: ${type.problem}`;
    case MetricsErrorCode.DUPLICATE_NAME:
      return `metric ${type.name} is already registered`;
    case MetricsErrorCode.INVALID_LABEL:
      return `metric ${type.name}, label ${JSON.stringify(type.label)}: ${type.problem}`;
    case MetricsErrorCode.LABEL_VALUE_NOT_ALLOWED: {
      const shown = type.value.length > 40 ? `${type.value.slice(0, 40)}…` : type.value;
      return `metric ${type.name}, label ${type.label}: expected one of ${type.allowed.join(", ")}, found ${JSON.stringify(shown)}`;
    }
  }
}
