//! Dense-layer gradients of a batch and the optimiser state of a whole model.

use crate::adam::{update_together, AdamStep, Moments};
use crate::model::Model;
use crate::parallel::Workers;

/// Gradients of one fully connected layer.
pub struct LayerGrads {
    /// ∂loss/∂W, `dim × dim`.
    pub w: Vec<f32>,
    /// ∂loss/∂b, `dim`.
    pub b: Vec<f32>,
}

/// Gradients of the dense parameters (embedding-row gradients live in the batch buffers).
pub struct Gradients {
    /// Per layer, first to last.
    pub layers: Vec<LayerGrads>,
}

impl Gradients {
    /// Zeroed gradients shaped like `model`'s layers.
    pub fn for_model(model: &Model) -> Self {
        let dim = model.vector_dim();
        Gradients {
            layers: model.layers.iter().map(|_| LayerGrads { w: vec![0.0; dim * dim], b: vec![0.0; dim] }).collect(),
        }
    }
}

/// Adam moments for every parameter and the step counter.
pub struct Optimiser {
    learning_rate: f64,
    weight_decay: f64,
    t: u64,
    entity: Moments,
    ip_table: Moments,
    layers: Vec<(Moments, Moments)>,
}

impl Optimiser {
    /// Fresh state for `model`.
    pub fn new(model: &Model) -> Self {
        let hp = &model.hyperparameters;
        Optimiser {
            learning_rate: hp.learning_rate,
            weight_decay: hp.weight_decay,
            t: 0,
            entity: Moments::new(model.entity.len()),
            ip_table: Moments::new(model.ip_table.len()),
            layers: model.layers.iter().map(|l| (Moments::new(l.w.len()), Moments::new(l.b.len()))).collect(),
        }
    }

    /// One Adam step: lazy on the touched entity and IP rows (`ip_gradient(k, out)` gives row `ip_rows[k]`'s
    /// gradient), dense on the layers (no decay on biases).
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        model: &mut Model,
        entity_rows: &[u32],
        entity_grads: &[f32],
        ip_rows: &[u32],
        ip_gradient: &(dyn Fn(usize, &mut [f32]) + Sync),
        grads: &Gradients,
        workers: &Workers,
    ) {
        self.t += 1;
        let step = AdamStep::new(self.learning_rate, self.weight_decay, self.t);
        let dim = model.vector_dim();
        assert_eq!(entity_grads.len(), entity_rows.len() * dim, "one gradient row per entity row");
        let entity_gradient = |k: usize, g: &mut [f32]| g.copy_from_slice(&entity_grads[k * dim..(k + 1) * dim]);
        // Entity rows and IP rows in one parallel phase.
        let entities = step.lazy_rows(&mut model.entity, dim, entity_rows, &mut self.entity);
        let ips = step.lazy_rows(&mut model.ip_table, dim, ip_rows, &mut self.ip_table);
        update_together(workers, &[(&entities, &entity_gradient), (&ips, ip_gradient)]);
        for ((layer, g), (mw, mb)) in model.layers.iter_mut().zip(&grads.layers).zip(&mut self.layers) {
            step.dense(&mut layer.w, &g.w, mw);
            step.without_decay().dense(&mut layer.b, &g.b, mb);
        }
    }
}
