/**
 * The words several stages share: element types and their sizes, optimizers and the state they
 * keep, the names of a report's totals, and the largest batch. The front end validates against
 * them (expectations, budgets), the analyses compute with them, the CLI parses options with them.
 * A leaf: it imports nothing, so every folder may import it without making a cycle.
 */

/** Bytes per element of weights and activations. */
export const DTYPES = { fp32: 4, fp16: 2, bf16: 2, int8: 1 } as const;
export type Dtype = keyof typeof DTYPES;

/** Extra floats per parameter kept by the optimizer: SGD none, momentum a velocity, Adam two moments. */
export const OPTIMIZER_STATES = { sgd: 0, momentum: 1, adam: 2 } as const;
export type Optimizer = keyof typeof OPTIMIZER_STATES;

/** Totals counted in elements or operations: bounds take decimal units (25M, 4.1G). */
export const COUNT_TOTALS = ['params', 'trainable_params', 'buffers', 'macs', 'flops'] as const;
/** Totals in bytes: bounds take binary units (512MiB). */
export const BYTE_TOTALS = ['weight_bytes', 'activation_bytes', 'peak_activation_bytes', 'training_bytes'] as const;
/** The totals an expectation may bound, counts first. */
export const TOTALS = [...COUNT_TOTALS, ...BYTE_TOTALS] as const;
export type TotalName = (typeof TOTALS)[number];

/** The largest batch accepted (`--batch`, an expectation's `batch`): counts stay exact integers well beyond it for real models. */
export const MAX_BATCH = 1 << 20;
