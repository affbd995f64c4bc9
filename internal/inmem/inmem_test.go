package inmem_test

import (
	"testing"

	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) quant.Store { return inmem.New() })
}
