/**
 * Named task priorities. Any finite number is a valid priority: higher runs
 * first, and equal priorities keep their arrival order.
 * @public
 */
export const Priority = {
  Low: 0,
  Normal: 1,
  High: 2,
  Critical: 3,
} as const

/**
 * One of the named `Priority` values.
 * @public
 */
export type Priority = (typeof Priority)[keyof typeof Priority]
