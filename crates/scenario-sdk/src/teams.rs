//! Teams: `client.teams()`: the team's plan limits, and how much work to run
//! at once so as to stay within them. The other team operations go through
//! [`Client::request`] with the generated `ops::…Team…` types.

use scenario_api::ops;
use scenario_api::types::{TeamLimitValues, TeamLimits, TeamOverview};

use crate::error::Result;
use crate::handle::Client;

/// Teams: `client.teams()`.
#[derive(Clone, Debug)]
pub struct Teams {
    client: Client,
}

impl Teams {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// The teams the credentials belong to.
    pub async fn list(&self) -> Result<Vec<TeamOverview>> {
        Ok(self.client.request(ops::ListTeams::new()).await?.teams)
    }

    /// The limits of the team's plan, and what the team uses against them.
    pub async fn limits(&self, team_id: &str) -> Result<TeamLimits> {
        self.client.request(ops::GetTeamLimits::new(team_id)).await
    }

    /// How many generations, trainings, workflow runs and custom jobs the team
    /// may run at once ([`Concurrency::from_limits`] of its limits). Running
    /// more only earns 429s ([`crate::Limit::Concurrency`]).
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client, prompts: Vec<String>) -> scenario_sdk::Result<()> {
    /// use futures::{StreamExt, TryStreamExt};
    ///
    /// let team = client.teams().list().await?.remove(0).id;
    /// let at_once = client.teams().concurrency(&team).await?.inferences;
    /// let generations: Vec<_> = futures::stream::iter(prompts)
    ///     .map(|prompt| client.generate().custom("model_abc").prompt(prompt).wait(true).send())
    ///     .buffer_unordered(at_once)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn concurrency(&self, team_id: &str) -> Result<Concurrency> {
        Ok(Concurrency::from_limits(
            &self.limits(team_id).await?.limits,
        ))
    }
}

/// How many of each kind of work a team may run at once, from its plan: the
/// width to give `buffer_unordered`, a semaphore, or a helper's `concurrency`
/// setting. Each is at least 1, so that a plan that allows none still reaches
/// the service, which says why.
///
/// Uploads and downloads are not among them: the plan does not bound how many
/// run at once (its `upload` and `downloadAssets` figures are amounts, not
/// widths), so their helpers keep their own defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Concurrency {
    /// Generations (model runs) at once: the plan's `parallelInferences`.
    pub inferences: usize,
    /// Model trainings at once: `parallelTraining`.
    pub trainings: usize,
    /// Workflow runs at once: `parallelWorkflowRuns`.
    pub workflow_runs: usize,
    /// Custom jobs at once: `parallelCustomJobs`.
    pub custom_jobs: usize,
}

impl Concurrency {
    /// The widths a plan's limits allow.
    pub fn from_limits(limits: &TeamLimitValues) -> Self {
        Self {
            inferences: width(limits.parallel_inferences),
            trainings: width(limits.parallel_training),
            workflow_runs: width(limits.parallel_workflow_runs),
            custom_jobs: width(limits.parallel_custom_jobs),
        }
    }
}

/// A limit as a width: whole, at least 1 (`NaN` and negatives too).
fn width(limit: f64) -> usize {
    if limit.is_finite() && limit >= 1.0 {
        // Plans allow far fewer than usize::MAX at once; `as` saturates anyway.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let width = limit.floor() as usize;
        width
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::width;

    #[test]
    fn a_limit_is_a_whole_width_of_at_least_one() {
        assert_eq!(width(8.0), 8);
        assert_eq!(width(2.9), 2);
        assert_eq!(width(0.0), 1);
        assert_eq!(width(-3.0), 1);
        assert_eq!(width(f64::NAN), 1);
        assert_eq!(width(f64::INFINITY), 1);
    }
}
