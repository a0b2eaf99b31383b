//! Thin binding of the official `regorus` crate: compile policies, add data as JSON,
//! set the input, evaluate a rule or a query, return JSON. Everything else lives in Python.
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(_regorus, RegoError, PyException, "A Rego parse, compile or evaluation error.");

fn rego_err(err: anyhow::Error) -> PyErr {
    RegoError::new_err(format!("{err}"))
}

/// A regorus engine. Policies are parsed when added and compiled on first evaluation.
#[pyclass(module = "kaze_policy._regorus")]
#[derive(Clone)]
struct Engine {
    inner: regorus::Engine,
}

#[pymethods]
impl Engine {
    #[new]
    fn new() -> Self {
        let mut inner = regorus::Engine::new();
        // A builtin that errors must surface as an error, never as an undefined (a silent pass).
        inner.set_strict_builtin_errors(true);
        Engine { inner }
    }

    /// Parse a policy module; returns its package path (e.g. "data.kaze.tenancy.x").
    fn add_policy(&mut self, path: String, rego: String) -> PyResult<String> {
        self.inner.add_policy(path, rego).map_err(rego_err)
    }

    /// Merge a JSON document into `data`.
    fn add_data_json(&mut self, py: Python<'_>, data_json: String) -> PyResult<()> {
        let inner = &mut self.inner;
        py.detach(|| inner.add_data_json(&data_json)).map_err(rego_err)
    }

    fn clear_data(&mut self) {
        self.inner.clear_data();
    }

    fn set_input_json(&mut self, py: Python<'_>, input_json: String) -> PyResult<()> {
        let inner = &mut self.inner;
        py.detach(|| inner.set_input_json(&input_json)).map_err(rego_err)
    }

    /// Evaluate a rule by its full path; returns its value as JSON ("null" when undefined).
    fn eval_rule(&mut self, py: Python<'_>, rule: String) -> PyResult<String> {
        let inner = &mut self.inner;
        py.detach(|| -> anyhow::Result<String> {
            let value = inner.eval_rule(rule)?;
            if value == regorus::Value::Undefined {
                return Ok("null".to_string());
            }
            value.to_json_str()
        })
        .map_err(rego_err)
    }

    /// Evaluate a query; returns the results as JSON in OPA's `{"result": [...]}` shape.
    fn eval_query(&mut self, py: Python<'_>, query: String) -> PyResult<String> {
        let inner = &mut self.inner;
        py.detach(|| -> anyhow::Result<String> {
            let results = inner.eval_query(query, false)?;
            Ok(serde_json::to_string(&results)?)
        })
        .map_err(rego_err)
    }

    fn get_packages(&self) -> PyResult<Vec<String>> {
        self.inner.get_packages().map_err(rego_err)
    }

    /// A copy that shares the parsed policies; cheap, for one engine per worker or target.
    fn copy(&self) -> Self {
        self.clone()
    }
}

#[pymodule]
fn _regorus(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add("RegoError", m.py().get_type::<RegoError>())?;
    m.add("REGORUS_VERSION", "0.14.1")?;
    Ok(())
}
