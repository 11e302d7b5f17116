import * as tf from '@tensorflow/tfjs-core';
// Types only: the chained methods' declarations on tf.Tensor. tfjs-core registers the methods
// themselves in its ES-module build only (`public/chained_ops`), whose extensionless imports Node
// cannot load, and its Node bundle has none of them; registerChainedOps below installs them.
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

/** Chained methods that call the tf op of the same name with the tensor as its first argument. */
const SAME_NAME = `abs acos acosh add all any argMax argMin asin asinh atan atan2 atanh avgPool batchNorm
batchToSpaceND broadcastTo cast ceil clipByValue conv1d conv2d conv2dTranspose cos cosh cumprod
cumsum depthToSpace depthwiseConv2d dilation2d div divNoNan dot elu equal erf euclideanNorm exp
expandDims expm1 fft floor floorDiv gather greater greaterEqual ifft irfft isFinite isInf isNaN
leakyRelu less lessEqual localResponseNormalization log log1p logSigmoid logSoftmax logSumExp
logicalAnd logicalNot logicalOr logicalXor matMul max maxPool maximum mean min minimum
mirrorPad mod mul neg norm notEqual oneHot onesLike pad pool pow prelu prod reciprocal relu
relu6 reshape resizeBilinear resizeNearestNeighbor reverse rfft round rsqrt selu
separableConv2d sigmoid sign sin sinh slice softmax softplus spaceToBatchND split sqrt square
squaredDifference squeeze step stridedSlice sub sum tan tanh tile topk transpose unique
unsortedSegmentSum unstack zerosLike`.split(/\s+/);

type Method = (this: tf.Tensor, ...args: never[]) => unknown;
type AnyOp = (...args: unknown[]) => unknown;

/** The chained methods whose body is not `op(this, ...args)`, as tfjs-core 4.22 defines them. */
const SPECIAL: Record<string, Method> = {
  as1D(this: tf.Tensor) {
    return tf.reshape(this, [this.size]);
  },
  as2D(this: tf.Tensor, rows: number, columns: number) {
    return tf.reshape(this, [rows, columns]);
  },
  as3D(this: tf.Tensor, rows: number, columns: number, depth: number) {
    return tf.reshape(this, [rows, columns, depth]);
  },
  as4D(this: tf.Tensor, rows: number, columns: number, depth: number, depth2: number) {
    return tf.reshape(this, [rows, columns, depth, depth2]);
  },
  as5D(this: tf.Tensor, rows: number, columns: number, depth: number, depth2: number, depth3: number) {
    return tf.reshape(this, [rows, columns, depth, depth2, depth3]);
  },
  asScalar(this: tf.Tensor) {
    tf.util.assert(this.size === 1, () => 'The array must have only 1 element.');
    return tf.reshape(this, []);
  },
  asType(this: tf.Tensor, dtype: tf.DataType) {
    return tf.cast(this, dtype);
  },
  flatten(this: tf.Tensor) {
    return tf.reshape(this, [this.size]);
  },
  reshapeAs(this: tf.Tensor, x: tf.Tensor) {
    return tf.reshape(this, x.shape);
  },
  toBool(this: tf.Tensor) {
    return tf.cast(this, 'bool');
  },
  toFloat(this: tf.Tensor) {
    return tf.cast(this, 'float32');
  },
  toInt(this: tf.Tensor) {
    return tf.cast(this, 'int32');
  },
  concat(this: tf.Tensor, x: tf.Tensor | tf.Tensor[], axis?: number) {
    return tf.concat([this, ...(x instanceof tf.Tensor ? [x] : x)], axis);
  },
  stack(this: tf.Tensor, x: tf.Tensor | tf.Tensor[], axis?: number) {
    return tf.stack(x instanceof tf.Tensor ? [this, x] : [this, ...x], axis);
  },
  where(this: tf.Tensor, condition: tf.Tensor, x: tf.Tensor) {
    return tf.where(condition, this, x);
  },
};

let registered = false;

/**
 * Installs tfjs's chained tensor methods (`t.add(u)`, `t.square()`, `t.slice(…)`, …: every method
 * of tfjs-core 4.22's `public/chained_ops`) on the Tensor class, as `@tensorflow/tfjs` does, so the
 * `tf` of `@varshare/core` behaves as TensorFlow.js users expect. Methods already present (another
 * tfjs bundle registered them) are left alone. Each throws on a disposed tensor, as tfjs's do.
 */
export function registerChainedOps(): void {
  if (registered) return;
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const install = (name: string, method: Method): void => {
    if (typeof proto[name] === 'function') return;
    proto[name] = function (this: tf.Tensor, ...args: never[]) {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  };
  // Some ops live in namespaces in tfjs-core's ES-module build (tf.image.resizeBilinear,
  // tf.spectral.rfft) and at the top level of its Node bundle.
  const scopes = [tf, tf.image, tf.spectral] as unknown as Record<string, unknown>[];
  for (const name of SAME_NAME) {
    const op = scopes.map((scope) => scope[name]).find((f) => typeof f === 'function');
    if (!op) throw new Error(`registerChainedOps: tf.${name} is not an op of this tfjs-core`);
    install(name, function (this: tf.Tensor, ...args: never[]) {
      return (op as AnyOp)(this, ...args);
    });
  }
  for (const [name, method] of Object.entries(SPECIAL)) install(name, method);
  registered = true;
}
