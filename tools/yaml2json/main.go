// Command yaml2json is the reference YAML decoder of the test suite: it reads a manifest
// stream exactly as `kubectl apply -f FILE` does and prints what kubectl would send on.
//
// kubectl's FileVisitor decodes the file as UTF-8, honouring a byte order mark
// (unicode.BOMOverride); its StreamVisitor splits the stream with apimachinery's
// NewYAMLOrJSONDecoder (a JSON stream when the text starts with `{`, else YAML documents
// separated by `---` lines) and converts each YAML document with sigs.k8s.io/yaml
// (go-yaml v2: YAML 1.1 scalars, merge keys, non-string keys made strings). Empty and
// null documents are skipped, as kubectl skips them.
//
//	yaml2json [FILE]   one JSON value per document, one per line; a refused stream
//	                   exits 1 with kubectl's error on stderr
//	yaml2json -batch   reads a JSON array of streams (strings) on stdin and prints a JSON
//	                   array of {"docs": [...]} or {"error": "..."}, one per stream
//	                   (one process for many streams, for the differential tests)
//	yaml2json -batch -objects
//	                   the same, but "docs" holds the objects kubectl acts on: each document
//	                   decoded as kubectl's builder decodes it (apimachinery's unstructured
//	                   scheme: any document with an `items` key is a list) and every list
//	                   flattened into its items, as cli-runtime's FlattenListVisitor does
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// decodeStream returns the JSON of every document kubectl would act on, in order.
func decodeStream(r io.Reader) ([]json.RawMessage, error) {
	utf8 := transform.NewReader(r, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	decoder := utilyaml.NewYAMLOrJSONDecoder(utf8, 4096)
	docs := []json.RawMessage{}
	for {
		ext := runtime.RawExtension{}
		if err := decoder.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, err
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		docs = append(docs, json.RawMessage(raw))
	}
}

// objectsOf returns the objects kubectl's resource builder makes of the documents: lists
// (apimachinery's test: an `items` key, whatever the kind) flattened into their items, nested
// lists too, and each object refused as its unstructured typer refuses one without kind or
// apiVersion.
func objectsOf(docs []json.RawMessage) ([]json.RawMessage, error) {
	objects := []json.RawMessage{}
	for _, doc := range docs {
		obj, _, err := unstructured.UnstructuredJSONScheme.Decode(doc, nil, nil)
		if err != nil {
			return nil, err
		}
		pending := []runtime.Object{obj}
		for i := 0; i < len(pending); i++ {
			current := pending[i]
			if meta.IsListType(current) {
				items, err := meta.ExtractList(current)
				if err != nil {
					return nil, err
				}
				pending = append(pending, items...)
				continue
			}
			// The items of a list go through the typer (infoForObject); a document does not.
			kind := current.GetObjectKind().GroupVersionKind()
			if i > 0 && kind.Kind == "" {
				return nil, errors.New("unstructured object has no kind")
			}
			if i > 0 && kind.Version == "" {
				return nil, errors.New("unstructured object has no version")
			}
			encoded, err := json.Marshal(current)
			if err != nil {
				return nil, err
			}
			objects = append(objects, encoded)
		}
	}
	return objects, nil
}

type result struct {
	Docs  []json.RawMessage `json:"docs,omitempty"`
	Error string            `json:"error,omitempty"`
}

func batch(in io.Reader, out io.Writer, objects bool) error {
	var streams []string
	if err := json.NewDecoder(in).Decode(&streams); err != nil {
		return fmt.Errorf("batch input is not a JSON array of strings: %w", err)
	}
	results := make([]result, len(streams))
	for i, stream := range streams {
		docs, err := decodeStream(strings.NewReader(stream))
		if err == nil && objects {
			docs, err = objectsOf(docs)
		}
		if err != nil {
			results[i] = result{Error: err.Error()}
		} else {
			results[i] = result{Docs: docs}
		}
		if results[i].Docs == nil && results[i].Error == "" {
			results[i].Docs = []json.RawMessage{}
		}
	}
	return json.NewEncoder(out).Encode(results)
}

func single(path string, out io.Writer) error {
	in := io.Reader(os.Stdin)
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	docs, err := decodeStream(in)
	if err != nil {
		return err
	}
	for _, doc := range docs {
		if _, err := fmt.Fprintf(out, "%s\n", doc); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	batchMode := flag.Bool("batch", false, "decode a JSON array of streams read on stdin")
	objectsMode := flag.Bool("objects", false, "with -batch: the objects kubectl acts on, lists flattened")
	flag.Parse()
	var err error
	if *batchMode {
		err = batch(os.Stdin, os.Stdout, *objectsMode)
	} else {
		err = single(flag.Arg(0), os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "yaml2json:", err)
		os.Exit(1)
	}
}
