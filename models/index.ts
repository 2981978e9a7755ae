/** Model factory and loader: the one place that maps a family name to its class. */
import type { Classifier, SerializedModel } from './classifier.ts';
import type { ModelSpec } from '../harness/suite.ts';

export async function createClassifier(spec: ModelSpec, k: number): Promise<Classifier> {
  switch (spec.type) {
    case 'tree':
      return new (await import('./tree.ts')).DecisionTree(k, spec.params);
    case 'svm':
      return new (await import('./svm.ts')).SupportVectorMachine(k, spec.params);
    case 'cnn':
      return new (await import('./cnn.ts')).Cnn(k, spec.params);
    case 'vit':
      return new (await import('./vit.ts')).VisionTransformer(k, spec.params);
  }
}

export async function loadClassifier(j: SerializedModel): Promise<Classifier> {
  switch (j.family) {
    case 'tree':
      return (await import('./tree.ts')).DecisionTree.fromJSON(j);
    case 'svm':
      return (await import('./svm.ts')).SupportVectorMachine.fromJSON(j);
    case 'cnn':
      return (await import('./cnn.ts')).Cnn.fromJSON(j);
    case 'vit':
      return (await import('./vit.ts')).VisionTransformer.fromJSON(j);
    default:
      throw new Error(`unknown model family "${j.family}"`);
  }
}
