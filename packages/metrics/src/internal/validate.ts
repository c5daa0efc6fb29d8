// Values in the messages are written by core's describeValue, as in every poolkit package.
export { describeValue as describe } from '@poolkit/core/validate'
