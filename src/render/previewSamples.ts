/**
 * Sample data for the preview server (`paperboy preview --serve`, `npm run email:dev`): a small
 * day of real papers (from a captured Hugging Face Daily Papers page) and every email type,
 * rendered exactly as the pipeline renders them. Run as a script it prints them as JSON: the
 * preview server renders in a fresh process so that template edits show at once.
 */
import { pathToFileURL } from 'node:url';
import type { EditionContent, EditionPaper } from '../domain/edition.ts';
import { personalize } from '../mail/placeholders.ts';
import { renderVariant } from './renderVariant.ts';
import { ForYouRenderer } from './forYou.ts';
import { renderTransactional, type TransactionalMessage } from './transactional.ts';
import type { ViewOptions } from '../../templates/email/view.ts';

const PAPERS: [title: string, abstract: string, topic: string][] = [
  [
    'FairFedMed: Benchmarking Group Fairness in Federated Medical Imaging with FairLoRA',
    'Fairness remains a critical concern in healthcare, where unequal access to services and treatment outcomes can adversely affect patient health. While Federated Learning (FL) presents a collaborative and privacy-preserving approach to model training, ensuring fairness is challenging due to heterogeneous data across institutions, and current research primarily addresses non-medical applications. To fill this gap, we establish the first experimental benchmark for fairness in medical FL, evaluating six representative FL methods across diverse demographic attributes and imaging modalities. We intro',
    'language-models',
  ],
  [
    'Generalization or Hallucination? Understanding Out-of-Context Reasoning in Transformers',
    'Large language models (LLMs) can acquire new knowledge through fine-tuning, but this process exhibits a puzzling duality: models can generalize remarkably from new facts, yet are also prone to hallucinating incorrect information. However, the reasons for this phenomenon remain poorly understood. In this work, we argue that both behaviors stem from a single mechanism known as out-of-context reasoning (OCR): the ability to deduce implications by associating concepts, even those without a causal link. Our experiments across five prominent LLMs confirm that OCR indeed drives both generalization an',
    'vision-multimodal',
  ],
  [
    'What can a Single Attention Layer Learn? A Study Through the Random Features Lens',
    'Attention layers -- which map a sequence of inputs to a sequence of outputs -- are core building blocks of the Transformer architecture which has achieved significant breakthroughs in modern artificial intelligence. This paper presents a rigorous theoretical study on the learning and generalization of a single multi-head attention layer, with a sequence of key vectors and a separate query vector as input. We consider the random feature setting where the attention layer has a large number of heads, with randomly sampled frozen query and key matrices, and trainable value matrices. We show that s',
    'language-models',
  ],
  [
    'Reducing the Transformer Architecture to a Minimum',
    'Transformers are a widespread and successful model architecture, particularly in Natural Language Processing (NLP) and Computer Vision (CV). The essential innovation of this architecture is the Attention Mechanism, which solves the problem of extracting relevant context information from long sequences in NLP and realistic scenes in CV. A classical neural network component, a Multi-Layer Perceptron (MLP), complements the attention mechanism. Its necessity is frequently justified by its capability of modeling nonlinear relationships. However, the attention mechanism itself is nonlinear through i',
    'theory',
  ],
  [
    'Singular Value Few-shot Adaptation of Vision-Language Models',
    'Vision-language models (VLMs) like CLIP have shown impressive zero-shot and few-shot learning capabilities across diverse applications. However, adapting these models to new fine-grained domains remains difficult due to reliance on prompt engineering and the high cost of full model fine-tuning. Existing adaptation approaches rely on augmented components, such as prompt tokens and adapter modules, which could limit adaptation quality, destabilize the model, and compromise the rich knowledge learned during pretraining. In this work, we present CLIP-SVD, a novel multi-modal and parameter-efficien',
    'medical',
  ],
  [
    'SALT: Singular Value Adaptation with Low-Rank Transformation',
    'The complex nature of medical image segmentation calls for models that are specifically designed to capture detailed, domain-specific features. Large foundation models offer considerable flexibility, yet the cost of fine-tuning these models remains a significant barrier. Parameter-Efficient Fine-Tuning (PEFT) methods, such as Low-Rank Adaptation (LoRA), efficiently update model weights with low-rank matrices but may suffer from underfitting when the chosen rank is insufficient to capture domain-specific nuances. Conversely, full-rank Singular Value Decomposition (SVD) based methods provide com',
    'language-models',
  ],
  [
    'LOST: Low-rank and Sparse Pre-training for Large Language Models',
    'While large language models (LLMs) have achieved remarkable performance across a wide range of tasks, their massive scale incurs prohibitive computational and memory costs for pre-training from scratch. Recent studies have investigated the use of low-rank parameterization as a means of reducing model size and training cost. In this context, sparsity is often employed as a complementary technique to recover important information lost in low-rank compression by capturing salient features in the residual space. However, existing approaches typically combine low-rank and sparse components in a sim',
    'vision-multimodal',
  ],
  [
    'Talking Heads: Understanding Inter-layer Communication in Transformer Language Models',
    'Although it is known that transformer language models (LMs) pass features from early layers to later layers, it is not well understood how this information is represented and routed by the model. By analyzing particular mechanism LMs use to accomplish this, we find that it is also used to recall items from a list, and show that this mechanism can explain an otherwise arbitrary-seeming sensitivity of the model to the order of items in the prompt. Specifically, we find that models write into low-rank subspaces of the residual stream to represent features which are then read out by specific later',
    'agents',
  ],
];

const TITLES: Record<string, string> = {
  'language-models': 'Language models',
  'vision-multimodal': 'Vision and multimodal',
  theory: 'Theory',
  medical: 'Medicine and biology',
  agents: 'Agents and tool use',
};

export function sampleDay(kind: 'daily' | 'weekly' = 'daily'): EditionContent {
  const papers: EditionPaper[] = PAPERS.map(([title, abstract, topic], i) => {
    const id = `2611.${String(20001 + i)}`;
    return {
      id,
      title,
      abstract,
      authors: ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra'].slice(0, 1 + (i % 4)),
      links: {
        abstract: `https://arxiv.org/abs/${id}`,
        pdf: `https://arxiv.org/pdf/${id}`,
        ...(i % 3 === 2 ? {} : { hf: `https://huggingface.co/papers/${id}` }),
        ...(i % 2 === 0 ? { code: `https://github.com/example/paper-${i}` } : {}),
      },
      categories: ['cs.LG'],
      score: 96 - i * 9,
      primaryTopic: topic,
      topics: [topic],
      sources: ['arxiv', 'hf'],
      upvotes: i % 3 === 2 ? undefined : 96 - i * 9,
      comments: i % 2 === 0 ? 7 - i : undefined,
      githubStars: i % 2 === 0 ? 312 - i * 20 : undefined,
      organization: i % 3 === 1 ? 'Example University' : undefined,
    };
  });
  const sections = Object.entries(TITLES)
    .map(([topic, title]) => ({ topic, title, description: '', paperIds: papers.filter((p) => p.primaryTopic === topic).map((p) => p.id) }))
    .filter((s) => s.paperIds.length > 0);
  return {
    kind,
    date: '2026-11-26',
    ...(kind === 'weekly' ? { from: '2026-11-20' } : {}),
    top: papers.slice(0, 3).map((p) => p.id),
    sections,
    papers: Object.fromEntries(papers.map((p) => [p.id, p])),
    considered: papers.length,
  };
}

export interface SampleEmail {
  name: string;
  subject: string;
  html: string;
  text: string;
}

const previewLinks = (publicUrl: string) => ({ unsubscribe: `${publicUrl}/unsubscribe?token=preview`, preferences: `${publicUrl}/preferences?token=preview` });

/** One of each transactional email, with what makes each differ: a reader's own hour, the operator's time, a weekly day, a pause. */
export function sampleTransactional(publicUrl: string): Record<TransactionalMessage['kind'], TransactionalMessage> {
  const links = previewLinks(publicUrl);
  const own = { hour: 7, timezone: 'Europe/Berlin', readersHour: true };
  return {
    confirm: {
      kind: 'confirm',
      confirmUrl: `${publicUrl}/confirm?token=preview`,
      topics: ['Language models', 'Alignment, safety and values'],
      delivery: { frequency: 'daily', ...own },
      expires: { at: '2026-12-03T08:30:00.000Z', timezone: 'Europe/Berlin' },
    },
    welcome: {
      kind: 'welcome',
      preferencesUrl: links.preferences,
      unsubscribeUrl: links.unsubscribe,
      topics: [],
      delivery: { frequency: 'daily', hour: 6, timezone: 'UTC', readersHour: false },
      latestEdition: { url: `${publicUrl}/editions/2026-11-26`, today: true },
    },
    'preferences-changed': {
      kind: 'preferences-changed',
      preferencesUrl: links.preferences,
      unsubscribeUrl: links.unsubscribe,
      topics: ['Language models', 'Theory'],
      sectionOrder: ['Theory'],
      delivery: { frequency: 'weekly', weekday: 5, ...own, hour: 18 },
      pausedUntil: '2026-12-10',
    },
    test: { kind: 'test', transport: 'outbox' },
  };
}

export async function renderSamples(opts: ViewOptions): Promise<SampleEmail[]> {
  const links = { ...previewLinks(opts.publicUrl), feedbackToken: 'preview' };
  const out: SampleEmail[] = [];
  for (const kind of ['daily', 'weekly'] as const) {
    const v = await renderVariant(sampleDay(kind), [], opts);
    out.push({ name: kind, subject: v.subject, ...personalize(v, links) });
  }
  if (opts.forYou) {
    // a reader with a For you block: three papers below Top today picked for them
    const day = sampleDay('daily');
    const [block] = await new ForYouRenderer(day, opts).fragments([Object.keys(day.papers).slice(3, 6)]);
    const v = await renderVariant(day, [], opts);
    out.push({ name: 'daily-for-you', subject: v.subject, ...personalize(v, links, block) });
  }
  for (const msg of Object.values(sampleTransactional(opts.publicUrl))) out.push({ name: msg.kind, ...(await renderTransactional(msg, opts)) });
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = JSON.parse(process.argv[2] ?? '{}') as ViewOptions;
  process.stdout.write(JSON.stringify(await renderSamples(opts)));
}
